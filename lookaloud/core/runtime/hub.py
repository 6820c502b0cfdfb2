"""Find model weights on this computer, fetch them when allowed, say plainly when they are not.

A model is named either by a folder or by a Hugging Face hub id (``Qwen/Qwen3-0.6B``).
:func:`resolve_model` turns the name into a checked folder:

1. An existing folder is used as it is, once checked: it must hold ``config.json`` and
   ``*.safetensors`` weights (pickled ``.bin`` weights are refused: they can run code on load).
2. A hub id is looked up in the local Hugging Face cache first, without touching the network.
3. Not cached: when downloads are allowed it is downloaded once into that cache — this is the
   "first use" download a user's laptop does without asking, with the hub's progress bars — and
   otherwise, or when the hub cannot be reached, :class:`ModelMissing` names the model and the
   command that fetches it. Downloads are off when ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` is
   set or ``HubAccess.download_on_first_use`` is false.

The environment is read when :meth:`HubAccess.from_environment` is called, not at import, so a
caller (or a test) can change it; ``huggingface_hub`` itself reads it only once, at import.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from huggingface_hub import snapshot_download
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
)
from tqdm.auto import tqdm

from lookaloud.core.errors import LookaloudError, ModelLoadFailed, ModelMissing
from lookaloud.core.i18n import N_, tr

# Only what loading needs: configs, safetensors weights, tokenizer and template files.
DOWNLOAD_PATTERNS = ("*.json", "*.safetensors", "*.txt", "*.jinja", "*.model", "tokenizer*")

# Download sizes quoted in messages so a user on a slow link knows what they are agreeing to.
KNOWN_SIZES = {
    "Salesforce/blip-image-captioning-base": N_("about 990 MB", "a download size"),
    "Salesforce/blip-image-captioning-large": N_("about 1.9 GB", "a download size"),
    "Qwen/Qwen3-0.6B": N_("about 1.5 GB", "a download size"),
    "Qwen/Qwen3-1.7B": N_("about 4.1 GB", "a download size"),
    "Qwen/Qwen3-VL-2B-Instruct": N_("about 4.3 GB", "a download size"),
}

_TRUE_WORDS = {"1", "true", "yes", "on"}

# The hub's naming rule: "name" or "owner/name", letters, digits, "-", "_", "."; no "--"/"..".
_HUB_ID = re.compile(r"^(?!.*(?:--|\.\.))[\w.-]{1,96}(?:/[\w.-]{1,96})?$")


@dataclass(frozen=True)
class ModelRole:
    """What a model is for, in the words messages use, what the user can do instead, and the
    command that fetches it."""

    noun: str
    alternative: str
    pull: str = "lookaloud models pull"


# English; messages translate them where they use them.
CAPTIONING = ModelRole(
    N_("captioning model", "a kind of model"),
    N_("pass a local folder with --caption-model", "what the user can do instead"),
)
WRITING = ModelRole(
    N_("writing model", "a kind of model"),
    N_("pass a local folder with --writer-model", "what the user can do instead"),
)
SEEING = ModelRole(
    N_("vision-language model", "a kind of model"),
    N_("pass a local folder with --vlm-model", "what the user can do instead"),
    # Fetches the vision model even when the settings choose another writer.
    pull="lookaloud models pull --backend local-vlm",
)
PULLING = ModelRole(
    N_("model", "a kind of model"),
    N_("give the name of a model on the Hugging Face hub", "what the user can do instead"),
)


@dataclass(frozen=True)
class HubAccess:
    """How this process may reach the model hub; the one seam tests replace."""

    offline: bool = False
    endpoint: str | None = None
    cache_dir: Path | None = None
    etag_timeout_s: float = 10.0
    download_on_first_use: bool = True

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> HubAccess:
        env = os.environ if environ is None else environ
        offline = any(env.get(name, "").lower() in _TRUE_WORDS for name in _OFFLINE_VARIABLES)
        cache = env.get("HF_HUB_CACHE")
        return cls(
            offline=offline,
            endpoint=env.get("HF_ENDPOINT") or None,
            cache_dir=Path(cache) if cache else None,
        )


_OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


@dataclass(frozen=True)
class ModelStatus:
    """One line of ``lookaloud models status``."""

    id: str
    present: bool
    where: Path | None
    size_bytes: int


def resolve_model(name: str, role: ModelRole, hub: HubAccess | None = None) -> Path:
    """The checked folder holding ``name``; downloads it first if allowed and needed."""
    hub = HubAccess.from_environment() if hub is None else hub
    if _looks_like_path(name):
        return check_model_folder(Path(name).expanduser(), name, role)
    _check_hub_id(name, role)
    cached = _cached_snapshot(name, hub)
    if cached is not None:
        return check_model_folder(cached, name, role)
    if hub.offline or not hub.download_on_first_use:
        raise ModelMissing(_missing_message(name, role))
    unreachable = _missing_message(name, role, hub_unreachable=True)
    return check_model_folder(_download(name, hub, role, unreachable), name, role)


def check_model_folder(folder: Path, name: str, role: ModelRole) -> Path:
    """Refuse folders that cannot be loaded safely, with a sentence that says what to do."""
    if not folder.is_dir():
        raise ModelMissing(
            tr(
                "The {noun} folder {name} does not exist; {alternative}.",
                "error",
                noun=tr(role.noun),
                name=name,
                alternative=tr(role.alternative),
            )
        )
    if not (folder / "config.json").is_file():
        raise ModelLoadFailed(
            tr(
                "The {noun} folder {name} has no config.json, so it is not a model folder; "
                "{alternative}.",
                "error",
                noun=tr(role.noun),
                name=name,
                alternative=tr(role.alternative),
            )
        )
    _check_weights(folder, name, role)
    return folder


def model_status(ids: Sequence[str], hub: HubAccess | None = None) -> list[ModelStatus]:
    """Whether each model is on this computer, where, and how big; never uses the network."""
    hub = HubAccess.from_environment() if hub is None else hub
    return [_status(model_id, _local_folder(model_id, hub)) for model_id in ids]


# Progress: True for the hub's own bars, False for none, or a tqdm class of the caller's own
# (the desktop app's download dialog passes one that drives its progress bar).
Progress = bool | type[tqdm]


def pull_models(
    ids: Sequence[str], *, progress: Progress = True, hub: HubAccess | None = None
) -> list[ModelStatus]:
    """Download each hub model into the local cache (folders are only checked), with progress."""
    hub = HubAccess.from_environment() if hub is None else hub
    return [_status(model_id, _pull_one(model_id, hub, progress)) for model_id in ids]


def _pull_one(model_id: str, hub: HubAccess, progress: Progress) -> Path:
    if _looks_like_path(model_id):
        return check_model_folder(Path(model_id).expanduser(), model_id, PULLING)
    _check_hub_id(model_id, PULLING)
    unreachable = _unreachable_message(model_id, hub)
    folder = _download(model_id, hub, PULLING, unreachable, progress=progress)
    return check_model_folder(folder, model_id, PULLING)


def _looks_like_path(name: str) -> bool:
    # Hub ids are "name" or "owner/name"; anything else that names a file-system place is a path.
    if Path(name).expanduser().exists():
        return True
    return name.startswith(("/", "~", ".", "\\")) or name.count("/") > 1 or ":" in name


def _check_hub_id(name: str, role: ModelRole) -> None:
    if not _HUB_ID.match(name):
        raise ModelMissing(
            tr(
                "The {noun} {name!r} is neither a folder on this computer nor a model name "
                "such as Qwen/Qwen3-0.6B; {alternative}.",
                "error",
                noun=tr(role.noun),
                name=name,
                alternative=tr(role.alternative),
            )
        )


def _cached_snapshot(model_id: str, hub: HubAccess) -> Path | None:
    try:
        folder = snapshot_download(
            model_id,
            cache_dir=hub.cache_dir,
            local_files_only=True,
            allow_patterns=list(DOWNLOAD_PATTERNS),
        )
    except LocalEntryNotFoundError:
        return None
    return Path(str(folder))


def _download(
    model_id: str, hub: HubAccess, role: ModelRole, unreachable: str, *, progress: Progress = True
) -> Path:
    try:
        folder = snapshot_download(model_id, **_download_options(hub, progress))
    except GatedRepoError as exc:
        raise ModelMissing(_gated_message(model_id, role)) from exc
    except RepositoryNotFoundError as exc:
        raise ModelMissing(_unknown_message(model_id, role)) from exc
    except (LocalEntryNotFoundError, HfHubHTTPError, httpx.HTTPError, ConnectionError) as exc:
        raise ModelMissing(unreachable) from exc
    except OSError as exc:  # after the network errors above, which are OSErrors too
        raise ModelMissing(_cannot_save_message(model_id, exc)) from exc
    return Path(str(folder))


def _download_options(hub: HubAccess, progress: Progress) -> dict[str, Any]:
    return {
        "cache_dir": hub.cache_dir,
        "endpoint": hub.endpoint,
        "etag_timeout": hub.etag_timeout_s,
        "local_files_only": hub.offline,
        "allow_patterns": list(DOWNLOAD_PATTERNS),
        "tqdm_class": progress_class(progress),
    }


def progress_class(progress: Progress) -> type[tqdm] | None:
    if progress is True:
        return None  # the hub's default bars
    return _SilentProgress if progress is False else progress


class _SilentProgress(tqdm):  # type: ignore[misc]
    """The hub's progress bar class, switched off for callers that show their own progress."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["disable"] = True
        super().__init__(*args, **kwargs)


def _check_weights(folder: Path, name: str, role: ModelRole) -> None:
    if not any(folder.glob("*.safetensors")):
        only_pickles = any(folder.glob("*.bin")) or any(folder.glob("*.pt"))
        found = tr("only PyTorch .bin weights") if only_pickles else tr("no model weights")
        raise ModelLoadFailed(
            tr(
                "The {noun} folder {name} has {found}, but Lookaloud loads only .safetensors "
                "weights because pickled weights can run code; convert it to safetensors or "
                "{alternative}.",
                "error",
                noun=tr(role.noun),
                name=name,
                found=found,
                alternative=tr(role.alternative),
            )
        )
    missing = _missing_shards(folder)
    if missing:
        raise ModelLoadFailed(
            tr(
                "The {noun} folder {name} is incomplete ({file} is missing); run `lookaloud "
                "models pull` again to finish the download.",
                "error",
                noun=tr(role.noun),
                name=name,
                file=missing[0],
            )
        )


def _missing_shards(folder: Path) -> list[str]:
    index = folder / "model.safetensors.index.json"
    if not index.is_file():
        return []
    weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map", {})
    return sorted({str(shard) for shard in weight_map.values() if not (folder / shard).is_file()})


def _local_folder(model_id: str, hub: HubAccess) -> Path | None:
    if _looks_like_path(model_id):
        folder = Path(model_id).expanduser()
        return folder if folder.is_dir() else None
    return _cached_snapshot(model_id, hub) if _HUB_ID.match(model_id) else None


def _status(model_id: str, folder: Path | None) -> ModelStatus:
    usable = folder is not None and _is_usable(folder)
    return ModelStatus(
        id=model_id,
        present=usable,
        where=folder if usable else None,
        size_bytes=_folder_size(folder) if usable and folder is not None else 0,
    )


def _is_usable(folder: Path) -> bool:
    try:
        check_model_folder(folder, str(folder), PULLING)
    except LookaloudError:
        return False
    return True


def _folder_size(folder: Path) -> int:
    # The hub cache keeps files as symlinks into a blob store; stat() follows them.
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def _size_note(model_id: str) -> str:
    size = KNOWN_SIZES.get(model_id)
    return tr(" ({size})", "a download size after a model's name", size=tr(size)) if size else ""


def _missing_message(model_id: str, role: ModelRole, *, hub_unreachable: bool = False) -> str:
    fields = {
        "noun": tr(role.noun),
        "model": model_id,
        "size": _size_note(model_id),
        "alternative": tr(role.alternative),
        "pull": role.pull,
    }
    if hub_unreachable:
        return tr(
            "The {noun} {model} is not on this computer and the model hub could not be "
            "reached; run `{pull}` when online to download it{size}, or {alternative}.",
            "error",
            **fields,
        )
    return tr(
        "The {noun} {model} is not on this computer; run `{pull}` to download it{size}, or "
        "{alternative}.",
        "error",
        **fields,
    )


def unreachable_reason(hub: HubAccess) -> str:
    """What the user can do when the hub cannot be reached, for a download message."""
    if hub.offline:
        return tr("offline mode is on (HF_HUB_OFFLINE), so unset it")
    return tr("check the internet connection")


def _unreachable_message(model_id: str, hub: HubAccess) -> str:
    return tr(
        "Lookaloud could not reach the model hub to download {model}{size}; {reason} and run "
        "`lookaloud models pull` again.",
        "error",
        model=model_id,
        size=_size_note(model_id),
        reason=unreachable_reason(hub),
    )


def _cannot_save_message(model_id: str, exc: OSError) -> str:
    return tr(
        "Lookaloud could not save {model} on this computer ({problem}); free some disk space "
        "or check that the Hugging Face cache folder is writable, then run `lookaloud models "
        "pull` again.",
        "error",
        model=model_id,
        problem=exc.strerror or exc,
    )


def _unknown_message(model_id: str, role: ModelRole) -> str:
    return tr(
        "The {noun} {model} does not exist on the model hub; check the spelling of the name, "
        "or {alternative}.",
        "error",
        noun=tr(role.noun),
        model=model_id,
        alternative=tr(role.alternative),
    )


def _gated_message(model_id: str, role: ModelRole) -> str:
    return tr(
        "The {noun} {model} needs a Hugging Face login; run `hf auth login`, accept the "
        "model's terms on its web page, then run `lookaloud models pull` again.",
        "error",
        noun=tr(role.noun),
        model=model_id,
    )


def quiet_transformers() -> None:
    """Keep transformers' progress bars and console warnings off the user's terminal.

    Loading prints "Loading weights" bars and processor warnings to stderr, where a screen
    reader would read them out between descriptions; they go to Lookaloud's log file instead.
    """
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    hf_logging.disable_default_handler()
    hf_logging.enable_propagation()
