"""Which engine runs the local writer: llama.cpp on a .gguf file, or transformers on a folder.

``auto`` takes llama.cpp when its binding is installed and the writing model has a .gguf file
(the setting names one, the model's folder holds one, or `lookaloud models pull` fetched the
hub model's published one), because it decodes several times
faster on a CPU; otherwise transformers, the tested reference, with one notice saying why when
llama.cpp was asked for by name.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from lookaloud.core.errors import SettingsError
from lookaloud.core.i18n import tr

if TYPE_CHECKING:  # the hub client is imported only when something is pulled
    from lookaloud.core.runtime.gguf_convert import VisionModelFiles
    from lookaloud.core.runtime.hub import HubAccess, Progress

# The weights a folder's .gguf files are tried in: 8 bits is near-lossless for a 0.6B model.
PREFERRED = ("q8_0", "bf16", "f16", "q4_0")


@dataclass(frozen=True)
class EngineChoice:
    gguf: Path | None  # None: transformers writes
    notices: tuple[str, ...] = ()


def choose_engine(engine: str, writer_model: str, installed: bool | None = None) -> EngineChoice:
    """``installed`` says whether llama-cpp-python imports; None finds out."""
    if engine == "transformers":
        return EngineChoice(None)
    gguf = gguf_file(writer_model)
    installed = llamacpp_installed() if installed is None else installed
    if gguf is not None and installed:
        return EngineChoice(gguf)
    if engine == "auto":
        if gguf is None:
            return EngineChoice(None)
        if Path(writer_model).suffix.lower() == ".gguf":
            raise SettingsError(_not_installed())  # a lone .gguf file: nothing else can read it
        return EngineChoice(None, (_transformers_instead(),))
    if gguf is None:
        raise SettingsError(
            tr(
                "The llama.cpp engine needs a .gguf file; {model} has none. Give a .gguf file "
                "as the writing model, or make one with `lookaloud models convert`.",
                model=writer_model,
            )
        )
    raise SettingsError(_not_installed())


@dataclass(frozen=True)
class VisionEngineChoice:
    files: VisionModelFiles | None  # None: transformers reads the pictures
    notices: tuple[str, ...] = ()


def choose_vision_engine(
    engine: str, vlm_model: str, installed: bool | None = None
) -> VisionEngineChoice:
    """The same rule for the local vision model, whose llama.cpp form is a pair of files."""
    if engine == "transformers":
        return VisionEngineChoice(None)
    files = vision_files(vlm_model)
    named_file = Path(vlm_model).suffix.lower() == ".gguf"
    if named_file and files is None:
        raise SettingsError(tr("The model file {path} is missing.", path=vlm_model))
    installed = llamacpp_installed() if installed is None else installed
    if files is not None and installed:
        return VisionEngineChoice(files)
    if engine == "auto":
        if files is None:
            return VisionEngineChoice(None)
        if named_file:
            raise SettingsError(_not_installed())
        return VisionEngineChoice(None, (_transformers_instead(),))
    if files is None:
        raise SettingsError(
            tr(
                "The llama.cpp engine needs the vision model as .gguf files (the model and its "
                "mmproj projector); {model} has none. Make them with `lookaloud models "
                "convert`, or choose engine = transformers.",
                model=vlm_model,
            )
        )
    raise SettingsError(_not_installed())


def vision_files(vlm_model: str) -> VisionModelFiles | None:
    """The vision model's .gguf pair: the language model the setting names, or its folder's,
    or the published pair `lookaloud models pull` fetched; its projector is the
    ``mmproj-<name>`` file beside it (as `lookaloud models convert` writes it) or else the one
    ``mmproj*.gguf`` there. A named .gguf file without a projector is still returned, so
    loading it can say which file is missing."""
    from lookaloud.core.runtime.gguf_convert import VisionModelFiles

    path = Path(vlm_model).expanduser()
    if path.suffix.lower() == ".gguf":
        if not path.is_file():
            return None
        return VisionModelFiles(
            path, _projector_beside(path) or path.with_name(f"mmproj-{path.name}")
        )
    if path.is_dir():
        texts = [file for file in path.glob("*.gguf") if not _is_projector(file)]
        text = _preferred(texts)
    else:
        from lookaloud.core.runtime.gguf_release import cached_gguf

        text = cached_gguf(vlm_model)
    projector = _projector_beside(text) if text is not None else None
    return VisionModelFiles(text, projector) if text and projector else None


def _is_projector(file: Path) -> bool:
    return file.name.lower().startswith("mmproj")


def _projector_beside(text: Path) -> Path | None:
    named = text.with_name(f"mmproj-{text.name}")
    if named.is_file():
        return named
    others = sorted(file for file in text.parent.glob("*.gguf") if _is_projector(file))
    return others[0] if len(others) == 1 else None


def _preferred(files: Sequence[Path]) -> Path | None:
    """The file of the most preferred weight type, else the first by name."""
    files = sorted(files)
    for kind in PREFERRED:
        for file in files:
            if kind in file.stem.lower():
                return file
    return files[0] if files else None


def gguf_file(writer_model: str) -> Path | None:
    """The .gguf file the writing model names or its folder holds, or for a hub model its
    published .gguf file once `lookaloud models pull` has fetched it; None when there is none."""
    path = Path(writer_model).expanduser()
    if path.suffix.lower() == ".gguf":
        return path if path.is_file() else None
    if not path.is_dir():
        from lookaloud.core.runtime.gguf_release import cached_gguf

        return cached_gguf(writer_model)
    return _preferred(list(path.glob("*.gguf")))


def pull_for_engine(
    ids: Sequence[str],
    writer_model: str,
    engine: str,
    *,
    progress: Progress = True,
    hub: HubAccess | None = None,
) -> Path | None:
    """Download the models ``ids``, with the writing model's published .gguf file instead of
    its folder (a third of the download) where llama.cpp will run it; returns that file, or
    None when every model came as a folder. The command line and the desktop app both pull
    through here, so they fetch the same files."""
    from lookaloud.core.runtime.gguf_release import pull_gguf, release_for
    from lookaloud.core.runtime.hub import HubAccess, pull_models

    hub = HubAccess.from_environment() if hub is None else hub
    release = release_for(writer_model) if writer_model in ids else None
    if engine == "transformers" or release is None or not llamacpp_installed():
        pull_models(ids, progress=progress, hub=hub)
        return None
    gguf = pull_gguf(release, hub, progress)
    pull_models([i for i in ids if i != writer_model], progress=progress, hub=hub)
    return gguf


def llamacpp_installed() -> bool:
    return importlib.util.find_spec("llama_cpp") is not None


def _transformers_instead() -> str:
    return tr(
        "llama.cpp is not installed, so the slower transformers engine writes; "
        "run scripts/install.sh again to build it."
    )


def _not_installed() -> str:
    return tr(
        "The llama.cpp engine is not installed; run scripts/install.sh again, or "
        "choose engine = transformers."
    )
