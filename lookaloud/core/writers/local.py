"""The local writer: a Qwen3 model on this computer's CPU, streamed piece by piece.

``generate`` runs in a worker thread and feeds a ``TextIteratorStreamer``; the caller's thread
reads pieces from it, so the first words reach speech while the model is still writing. A
stopping criterion polls the :class:`CancelToken`, so a cancel stops the model after its current
token. Thinking is switched off in the chat template, and any ``<think>``/``<answer>`` tags that
appear anyway are filtered out before the caller sees them.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    StoppingCriteria,
    StoppingCriteriaList,
    TextIteratorStreamer,
)

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import ModelLoadFailed, WriterError
from lookaloud.core.models import WRITING, HubAccess, quiet_transformers, resolve_model
from lookaloud.core.writers.base import ChatMessage, GenerationParams
from lookaloud.core.writers.tags import ThinkTagFilter

# CPU flags that mean bfloat16 matrix maths runs natively: then bf16 halves the memory traffic
# per token and is about twice as fast as fp32; without them bf16 is emulated and slower.
_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})

# After a cancel the model stops within one token; this only bounds waiting for a stuck thread.
_JOIN_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class LoadedWriterModel:
    """A tokenizer and model loaded together from one folder in one dtype."""

    folder: Path
    dtype: torch.dtype
    tokenizer: Any
    model: Any


def cpu_has_native_bf16(cpuinfo: str) -> bool:
    """Whether the ``flags`` lines of a /proc/cpuinfo text list a native bf16 instruction set."""
    flags: set[str] = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
    return bool(flags & _BF16_FLAGS)


def preferred_dtype(
    *, platform: str = sys.platform, cpuinfo_path: Path = Path("/proc/cpuinfo")
) -> torch.dtype:
    """bf16 where the CPU has it natively (known only on Linux), fp32 everywhere else."""
    if not platform.startswith("linux"):
        return torch.float32
    try:
        cpuinfo = cpuinfo_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return torch.float32
    return torch.bfloat16 if cpu_has_native_bf16(cpuinfo) else torch.float32


class LocalQwenWriter:
    """The :class:`~lookaloud.core.writers.base.Writer` that runs a Qwen3 model locally."""

    def __init__(
        self, model: str, *, dtype: torch.dtype | None = None, hub: HubAccess | None = None
    ) -> None:
        self._model_name = model
        self._dtype = dtype
        self._hub = hub

    @property
    def backend(self) -> str:
        return "local"

    @property
    def model_name(self) -> str:
        return self._model_name

    def load(self) -> LoadedWriterModel:
        """Find and load the model (once per process); raises ModelMissing or ModelLoadFailed."""
        folder = resolve_model(self._model_name, WRITING, self._hub)
        dtype = preferred_dtype() if self._dtype is None else self._dtype
        return _shared_model(folder, dtype, self._model_name)

    def build_prompt(self, messages: Sequence[ChatMessage]) -> str:
        """The exact text the model is given: the chat template with thinking switched off."""
        chat = [{"role": message.role, "content": message.content} for message in messages]
        prompt: str = self.load().tokenizer.apply_chat_template(
            chat, tokenize=False, add_generation_prompt=True, enable_thinking=False
        )
        return prompt

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]:
        """Text pieces as the model writes them, without reasoning or answer tags."""
        cancel.raise_if_cancelled()
        prompt = self.build_prompt(messages)
        run = _GenerationRun(self.load(), prompt, params, cancel, self._model_name)
        run.start()
        try:
            yield from _without_tags(run.pieces())
        finally:
            run.stop()


def generation_options(params: GenerationParams, pad_token_id: int | None) -> dict[str, Any]:
    """``generate`` keyword arguments for ``params``; a temperature of 0 means greedy decoding."""
    options: dict[str, Any] = {
        "max_new_tokens": params.max_new_tokens,
        "repetition_penalty": params.repetition_penalty,
        "pad_token_id": pad_token_id,
    }
    if params.temperature <= 0:
        return {**options, "do_sample": False}
    sampling = {"temperature": params.temperature, "top_p": params.top_p, "top_k": params.top_k}
    return {**options, "do_sample": True, **sampling}


class _CancelCriterion(StoppingCriteria):
    """Stops generation once the user cancels or the reader has gone away."""

    def __init__(self, cancel: CancelToken, abandoned: threading.Event) -> None:
        self._cancel = cancel
        self._abandoned = abandoned

    def __call__(
        self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any
    ) -> torch.BoolTensor:
        stop = self._cancel.cancelled or self._abandoned.is_set()
        return torch.full((input_ids.shape[0],), stop, dtype=torch.bool)  # type: ignore[return-value]


class _GenerationRun:
    """One ``generate`` call on a worker thread, read as pieces on the caller's thread."""

    def __init__(
        self,
        loaded: LoadedWriterModel,
        prompt: str,
        params: GenerationParams,
        cancel: CancelToken,
        model_name: str,
    ) -> None:
        self._loaded = loaded
        self._model_name = model_name
        self._cancel = cancel
        self._seed = params.seed
        self._abandoned = threading.Event()
        self._streamer = TextIteratorStreamer(
            loaded.tokenizer, skip_prompt=True, skip_special_tokens=True
        )
        self._kwargs = self._generate_kwargs(prompt, params)
        self._error: Exception | None = None
        self._thread = threading.Thread(target=self._generate, name="local-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the model to stop (a no-op if it has finished) and wait for the thread."""
        self._abandoned.set()
        self._thread.join(timeout=_JOIN_TIMEOUT_S)

    def pieces(self) -> Iterator[str]:
        """Decoded pieces; then raises Cancelled or WriterError if the run did not finish well."""
        for piece in self._streamer:
            if self._cancel.cancelled:
                break
            if piece:
                yield piece
        self._thread.join(timeout=_JOIN_TIMEOUT_S)
        self._cancel.raise_if_cancelled()
        if self._error is not None:
            raise WriterError(
                f"The writing model {self._model_name} failed while writing; try "
                "again, and choose another model in the settings if it keeps failing."
            ) from self._error

    def _generate_kwargs(self, prompt: str, params: GenerationParams) -> dict[str, Any]:
        tokenizer = self._loaded.tokenizer
        inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        criteria = StoppingCriteriaList([_CancelCriterion(self._cancel, self._abandoned)])
        return {
            **inputs,
            **generation_options(params, tokenizer.pad_token_id),
            "streamer": self._streamer,
            "stopping_criteria": criteria,
        }

    def _generate(self) -> None:
        try:
            if self._seed is not None:
                torch.manual_seed(self._seed)
            with torch.inference_mode():
                self._loaded.model.generate(**self._kwargs)
        # Any failure must cross to the reading thread, which re-raises it as a WriterError.
        except Exception as exc:  # noqa: BLE001
            self._error = exc
            # Wake the reader: generate() failed before reaching its own end().
            self._streamer.end()  # type: ignore[no-untyped-call]


def _without_tags(pieces: Iterable[str]) -> Iterator[str]:
    tag_filter = ThinkTagFilter()
    for piece in pieces:
        shown = tag_filter.feed(piece)
        if shown:
            yield shown
    tail = tag_filter.flush()
    if tail:
        yield tail


_MODELS: dict[tuple[str, torch.dtype], LoadedWriterModel] = {}
_MODELS_LOCK = threading.Lock()


def _shared_model(folder: Path, dtype: torch.dtype, name: str) -> LoadedWriterModel:
    """The per-process model cache.

    Deliberate: a Qwen3 model takes seconds and gigabytes to load, so every writer in a process
    shares one copy per folder and dtype. The lock also makes two first uses load only once.
    """
    key = (str(folder.resolve()), dtype)
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = _load(folder, dtype, name)
        return _MODELS[key]


def _load(folder: Path, dtype: torch.dtype, name: str) -> LoadedWriterModel:
    quiet_transformers()
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
        model = AutoModelForCausalLM.from_pretrained(
            folder, dtype=dtype, use_safetensors=True, trust_remote_code=False
        )
    except (OSError, ValueError, KeyError, RuntimeError, TypeError, SafetensorError) as exc:
        raise ModelLoadFailed(_load_failed_message(name)) from exc
    if not tokenizer.chat_template:
        raise ModelLoadFailed(
            f"The writing model {name} has no chat template, so it is not a chat model; "
            "choose a chat model such as Qwen/Qwen3-0.6B."
        )
    # from_pretrained already put the model in evaluation mode (no dropout).
    return LoadedWriterModel(folder=folder, dtype=dtype, tokenizer=tokenizer, model=model)


def _load_failed_message(model: str) -> str:
    return (
        f"The writing model {model} could not be loaded; its files may be damaged, so run "
        "`lookaloud models pull` again or pass another folder with --writer-model."
    )
