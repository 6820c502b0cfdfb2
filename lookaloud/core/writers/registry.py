"""The writers by name, and who takes over from whom — the one place that chain is written.

Shaped like the speech registry: each entry checks whether the user's choice can run (a
remote writer needs a server address and a model name: a SettingsError says so before anything
is sent) and prepares what makes the writer on first need. ``takes_over`` is the chain: a
remote writer that fails for good hands over to the local model, and when no writer is left
the facts are read (the write stage does that).

The local vision model (``local-vlm``) takes over from nobody and hands over to nobody: when it
fails for good the facts are read. The other local writer is not loaded in that mode (nor is
the captioner), so a second model of 1.5 GB would have to be loaded just when the first one
failed, and it could not see the picture anyway; the facts read at once are true and quick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lookaloud.core.errors import SettingsError
from lookaloud.core.i18n import N_, tr
from lookaloud.core.runtime.models import ModelChoice
from lookaloud.core.settings import RemoteSettings
from lookaloud.core.writers.base import Writer

if TYPE_CHECKING:  # the HTTP client is imported only when a remote writer is chosen
    from lookaloud.core.writers.openai_api import Endpoint


@dataclass(frozen=True)
class Prepared:
    """A writer ready to be made (on first need), what to tell with every result, and what to
    tell with the first one only."""

    make: Callable[[], Writer]
    notices: tuple[str, ...] = ()
    first_notices: tuple[str, ...] = ()


@dataclass(frozen=True)
class WriterBackend:
    name: str
    label: str  # English; translated where it is shown
    # Checks the choice (raising SettingsError with a sentence) and prepares the writer.
    prepare: Callable[[ModelChoice], Prepared]
    sees_images: bool = False  # given the picture itself: nothing is captioned locally
    takes_over: str | None = None  # who writes when this one fails for good; None: the facts
    on_this_computer: bool = False  # runs here, one picture at a time (models share the CPU)


def _prepare_local(choice: ModelChoice) -> Prepared:
    from lookaloud.core.writers.engines import choose_engine

    engine = choose_engine(choice.engine, choice.writer_model)
    if engine.gguf is not None:
        gguf = engine.gguf

        def make_llamacpp() -> Writer:
            from lookaloud.core.writers.llamacpp import LlamaCppWriter

            writer = LlamaCppWriter(gguf)
            writer.load()
            return writer

        return Prepared(make_llamacpp, first_notices=engine.notices)

    def make() -> Writer:
        from lookaloud.core.writers.local import LocalQwenWriter

        writer = LocalQwenWriter(choice.writer_model)
        writer.load()
        return writer

    return Prepared(make, first_notices=engine.notices)


def _prepare_local_vlm(choice: ModelChoice) -> Prepared:
    from lookaloud.core.writers.engines import choose_vision_engine

    engine = choose_vision_engine(choice.engine, choice.vlm_model)
    if engine.files is not None:
        files = engine.files

        def make_llamacpp() -> Writer:
            from lookaloud.core.writers.llamacpp_vlm import LlamaCppVlmWriter

            writer = LlamaCppVlmWriter(files)
            writer.load()
            return writer

        return Prepared(make_llamacpp, first_notices=engine.notices)

    def make() -> Writer:
        from lookaloud.core.writers.local_vlm import LocalVlmWriter

        writer = LocalVlmWriter(choice.vlm_model)
        writer.load()
        return writer

    return Prepared(make, first_notices=engine.notices)


def _prepare_remote(vision: bool) -> Callable[[ModelChoice], Prepared]:
    def prepare(choice: ModelChoice) -> Prepared:
        from lookaloud.core.writers.address import unencrypted_notice

        endpoint = endpoint_for(_checked_remote(choice))
        notice = unencrypted_notice(endpoint.base_url, sends_images=vision)

        def make() -> Writer:
            from lookaloud.core.writers.remote import RemoteWriter
            from lookaloud.core.writers.remote_vlm import RemoteVlmWriter

            return RemoteVlmWriter(endpoint) if vision else RemoteWriter(endpoint)

        return Prepared(make, (notice,) if notice else ())

    return prepare


WRITERS: dict[str, WriterBackend] = {
    backend.name: backend
    for backend in (
        WriterBackend(
            "local",
            N_("the model on this computer", "a writer"),
            _prepare_local,
            on_this_computer=True,
        ),
        WriterBackend(
            "local-vlm",
            N_("the vision model on this computer", "a writer"),
            _prepare_local_vlm,
            sees_images=True,
            on_this_computer=True,
        ),
        WriterBackend(
            "remote",
            N_("the remote server", "a writer"),
            _prepare_remote(vision=False),
            takes_over="local",
        ),
        WriterBackend(
            "remote-vlm",
            N_("the remote vision model", "a writer"),
            _prepare_remote(vision=True),
            sees_images=True,
            takes_over="local",
        ),
    )
}
BACKENDS = tuple(WRITERS)


def writer_backend(name: str) -> WriterBackend:
    if name not in WRITERS:
        raise SettingsError(
            tr(
                "There is no backend called {name!r}; choose one of: {join}.",
                name=name,
                join=", ".join(BACKENDS),
            )
        )
    return WRITERS[name]


def endpoint_for(remote: RemoteSettings) -> Endpoint:
    """The checked server address, model and key (from the environment or the keyring)."""
    from lookaloud.core.writers.address import normalize_base_url
    from lookaloud.core.writers.api_keys import find_api_key
    from lookaloud.core.writers.openai_api import Endpoint

    base_url = normalize_base_url(remote.base_url)
    return Endpoint(
        base_url=base_url,
        model=remote.model.strip(),
        api_key=find_api_key(base_url, remote.api_key_env),
        key_env=remote.api_key_env,
        connect_timeout_s=remote.connect_timeout,
        read_timeout_s=remote.read_timeout,
        concurrency=remote.concurrency,
    )


def _checked_remote(choice: ModelChoice) -> RemoteSettings:
    remote = choice.remote
    if not remote.base_url.strip():
        raise SettingsError(
            tr(
                "The {backend} backend needs the server's address; set base_url in the "
                "[remote] section of the settings, or give --base-url URL on the command "
                "line.",
                backend=choice.backend,
            )
        )
    if not remote.model.strip():
        raise SettingsError(
            tr(
                "The {backend} backend needs the name of a model on the server; set model "
                "in the [remote] section of the settings, or give --model NAME on the "
                "command line (`lookaloud remote check` lists them).",
                backend=choice.backend,
            )
        )
    return remote
