"""Watching what a local vision-language writer's language model reads, through a hook."""

from __future__ import annotations

from typing import Any

from lookaloud.core.writers.local_vlm import LocalVlmWriter


class PromptReads:
    """The number of tokens the language model read in each forward pass while the block runs
    (the first pass of a run is its prefill)."""

    def __init__(self, writer: LocalVlmWriter) -> None:
        self.lengths: list[int] = []
        self._first_layer = writer.load().model.model.language_model.layers[0]

    @property
    def longest(self) -> int:
        return max(self.lengths, default=0)

    def __enter__(self) -> PromptReads:
        self._handle = self._first_layer.register_forward_pre_hook(self._read, with_kwargs=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.remove()

    def _read(self, _module: object, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        hidden = args[0] if args else kwargs["hidden_states"]
        self.lengths.append(int(hidden.shape[1]))
