"""The published GGUF file of a writing model: found in the hub cache, fetched by `models pull`.

Qwen publishes its models in GGUF form as well (``Qwen/Qwen3-0.6B-GGUF``). With the llama.cpp
engine installed, that one 8-bit file is all the writer needs — tokenizer and chat template
included — so ``lookaloud models pull`` fetches it (about 640 MB) instead of the 1.5 GB
safetensors folder, and ``engine = auto`` finds it in the same cache the folders live in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
from huggingface_hub import snapshot_download, try_to_load_from_cache
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
)

from lookaloud.core.errors import ModelMissing
from lookaloud.core.i18n import N_, tr
from lookaloud.core.runtime.hub import HubAccess, Progress, progress_class, unreachable_reason


@dataclass(frozen=True)
class GgufRelease:
    repo: str
    filename: str
    size: str  # for messages, English (translated where used)
    projector: str = ""  # a vision model's second file, its vision projector, in the same repo

    @property
    def files(self) -> list[str]:
        return [self.filename, *([self.projector] if self.projector else [])]


# Q8_0: near-lossless for a 0.6B model and 3-4x faster to decode than bf16 on a laptop CPU.
RELEASES = {
    "Qwen/Qwen3-0.6B": GgufRelease(
        "Qwen/Qwen3-0.6B-GGUF", "Qwen3-0.6B-Q8_0.gguf", N_("about 640 MB", "a download size")
    ),
    # The vision model's language part in 8 bits and its vision projector: llama.cpp's
    # multimodal library reads the pair. (File names as Qwen publishes them; the hub cannot
    # be reached from our build machines, so the pull itself is untested there.)
    "Qwen/Qwen3-VL-2B-Instruct": GgufRelease(
        "Qwen/Qwen3-VL-2B-Instruct-GGUF",
        "Qwen3VL-2B-Instruct-Q8_0.gguf",
        N_("about 2.3 GB", "a download size"),
        projector="mmproj-Qwen3VL-2B-Instruct-Q8_0.gguf",
    ),
}


def release_for(writer_model: str) -> GgufRelease | None:
    return RELEASES.get(writer_model)


def cached_gguf(writer_model: str, hub: HubAccess | None = None) -> Path | None:
    """The release's (first) file if all its files are in the hub cache; never uses the
    network. A vision model's projector lies beside it, under its own name."""
    release = release_for(writer_model)
    if release is None:
        return None
    hub = HubAccess.from_environment() if hub is None else hub
    found = [
        try_to_load_from_cache(release.repo, name, cache_dir=hub.cache_dir)
        for name in release.files
    ]
    if not all(isinstance(path, str) for path in found):
        return None
    return Path(str(found[0]))


def pull_gguf(release: GgufRelease, hub: HubAccess, progress: Progress = True) -> Path:
    """Download the release's files into the hub cache (once), with a progress bar; returns
    the first (the projector, if any, is beside it)."""
    # snapshot_download, not hf_hub_download: the latter retries a refused connection five
    # times with back-off (over 20 s of silence offline); this gives up at once.
    try:
        folder = snapshot_download(
            release.repo,
            allow_patterns=release.files,
            cache_dir=hub.cache_dir,
            endpoint=hub.endpoint,
            etag_timeout=hub.etag_timeout_s,
            local_files_only=hub.offline,
            tqdm_class=progress_class(progress),
        )
    except LocalEntryNotFoundError as lost:  # a kind of EntryNotFoundError: before it
        raise ModelMissing(_unreachable(release, hub)) from lost
    except (GatedRepoError, RepositoryNotFoundError, EntryNotFoundError) as gone:
        raise ModelMissing(_not_published(release)) from gone
    except (HfHubHTTPError, httpx.HTTPError, ConnectionError) as lost:
        raise ModelMissing(_unreachable(release, hub)) from lost
    except OSError as failed:  # after the network errors above, which are OSErrors too
        raise ModelMissing(
            tr(
                "Lookaloud could not save {file} on this computer ({problem}); free some disk "
                "space, then run `lookaloud models pull` again.",
                file=release.filename,
                problem=failed.strerror or failed,
            )
        ) from failed
    paths = [Path(str(folder)) / name for name in release.files]
    if not all(path.is_file() for path in paths):
        raise ModelMissing(_not_published(release))
    return paths[0]


def _unreachable(release: GgufRelease, hub: HubAccess) -> str:
    return tr(
        "Lookaloud could not reach the model hub to download {file} ({size}); {reason} and "
        "run `lookaloud models pull` again.",
        file=release.filename,
        size=tr(release.size),
        reason=unreachable_reason(hub),
    )


def _not_published(release: GgufRelease) -> str:
    return tr(
        "The model hub no longer offers {file} in {repo}; make a .gguf file with `lookaloud "
        "models convert`, or choose engine = transformers.",
        file=release.filename,
        repo=release.repo,
    )
