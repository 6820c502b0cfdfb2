"""The perception parts by name: captioners and OCR readers, shaped like the speech registry.

Each entry says whether it can run here (its library is installed) and how to make it; the
part is imported only when it is made, so choosing one costs nothing until an image needs it.
A part that cannot run here is a ModelMissing whose sentence says what it needs, so the
pipeline carries on without it and tells the user.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from lookaloud.core.errors import ModelMissing, SettingsError
from lookaloud.core.i18n import N_, tr
from lookaloud.core.perception.base import Captioner, TextReader

T = TypeVar("T")

DEFAULT_CAPTIONER = "blip"
DEFAULT_READER = "rapidocr"


@dataclass(frozen=True)
class PartBackend(Generic[T]):
    name: str
    label: str  # how the user hears it named (English; translated where it is said)
    module: str  # the library it needs; check() looks for it
    needs: str  # what to install, said when it is missing
    create: Callable[[str], T]  # from a model id or folder ("" where the part has its own)
    alternatives: tuple[str, ...] = ()  # other libraries that serve as well as ``module``

    def check(self) -> bool:
        return any(
            importlib.util.find_spec(m) is not None for m in (self.module, *self.alternatives)
        )

    def make(self, model: str = "") -> T:
        if not self.check():
            label = tr(self.label)
            raise ModelMissing(
                tr(
                    "{label} needs {needs}.",
                    "error",
                    label=label[:1].upper() + label[1:],
                    needs=self.needs,
                )
            )
        return self.create(model)


def _blip(model: str) -> Captioner:
    from lookaloud.core.perception.captioner import captioner_for

    captioner = captioner_for(model)
    captioner.load()
    return captioner


def _rapidocr(runtime: str) -> TextReader:
    """A reader on the shared engine; ``runtime`` is the ``[pipeline] ocr_runtime`` setting."""
    from lookaloud.core.perception.ocr import RapidOcrReader, shared_rapidocr_engine

    return RapidOcrReader(engine_factory=lambda: shared_rapidocr_engine(runtime or "auto"))


CAPTIONERS: dict[str, PartBackend[Captioner]] = {
    "blip": PartBackend(
        "blip", N_("the BLIP captioner", "a part"), "transformers", "transformers and torch", _blip
    ),
}
READERS: dict[str, PartBackend[TextReader]] = {
    "rapidocr": PartBackend(
        "rapidocr",
        N_("the RapidOCR text reader", "a part"),
        "rapidocr",
        "rapidocr (pip install rapidocr)",
        _rapidocr,
        alternatives=("rapidocr_onnxruntime",),  # the older engine, still read where installed
    ),
}


def part(registry: dict[str, PartBackend[T]], name: str) -> PartBackend[T]:
    if name not in registry:
        known = ", ".join(registry)
        raise SettingsError(
            tr(
                "There is no part called {name!r}; choose one of: {known}.",
                name=name,
                known=known,
            )
        )
    return registry[name]
