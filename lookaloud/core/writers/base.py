"""What a writer (a language model that turns facts into prose) looks like to the pipeline."""

from __future__ import annotations

import base64
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from PIL import Image

from lookaloud.core.cancel import CancelToken
from lookaloud.core.pipeline.facts import Detail

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ImagePart:
    """An encoded picture sent along with a message to a writer that can see images."""

    data: bytes
    mime_type: str  # "image/png" or "image/jpeg"
    width: int
    height: int

    def data_url(self) -> str:
        return f"data:{self.mime_type};base64,{base64.b64encode(self.data).decode('ascii')}"

    def __repr__(self) -> str:
        # Keeps megabytes of image bytes out of logs and test failure messages.
        return f"ImagePart({self.mime_type}, {self.width}x{self.height}, {len(self.data)} bytes)"


@dataclass(frozen=True)
class ChatMessage:
    """One chat turn; ``images`` go before the text, and only writers that see images use them."""

    role: Role
    content: str
    images: tuple[ImagePart, ...] = ()


@dataclass(frozen=True)
class GenerationParams:
    max_new_tokens: int = 300
    temperature: float = 0.7
    top_p: float = 0.8
    top_k: int = 20
    repetition_penalty: float = 1.05
    seed: int | None = None

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "max_new_tokens": self.max_new_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "top_k": self.top_k,
            "repetition_penalty": self.repetition_penalty,
            "seed": self.seed,
        }


class Writer(Protocol):
    """Streams text pieces for a chat; raises WriterError subclasses, or Cancelled."""

    @property
    def backend(self) -> str: ...

    @property
    def model_name(self) -> str: ...

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]: ...


# What runs a local writing model, by the writer's backend name; a remote server's is its own.
_ENGINES = {"local": "transformers", "llamacpp": "llamacpp", "local-vlm": "transformers"}


def engine_of(writer: Writer | None) -> str:
    """ "transformers" or "llamacpp" for a local writer, "" for a remote one or none. A writer
    whose backend name does not say (the local vision model runs on either) has an
    ``engine`` of its own."""
    if writer is None:
        return ""
    engine = getattr(writer, "engine", None)
    return engine if isinstance(engine, str) else _ENGINES.get(writer.backend, "")


@runtime_checkable
class ImageWriter(Protocol):
    """A writer that is sent the image itself (a vision-language model), not only the facts."""

    def prepare_image(self, image: Image.Image, detail: Detail = Detail.STANDARD) -> ImagePart:
        """The picture as this writer wants to send it: scaled down (a local model to the pixel
        budget of ``detail``) and encoded."""
        ...


@runtime_checkable
class SystemTurnHolder(Protocol):
    """A local writer that can read a chat's system turn ahead of the first picture."""

    def hold_system_turn(self, system: ChatMessage) -> None:
        """Reads ``system`` into the model's memory and forgets whatever followed it: the state
        every new description starts from, so it reads only its own turn."""
        ...
