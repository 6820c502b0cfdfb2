"""The local writer: a Qwen3 model on this computer's CPU, streamed piece by piece.

``generate`` runs on the process's compute thread (see :mod:`lookaloud.core.runtime.compute`)
and feeds a ``TextIteratorStreamer``; the caller's thread reads pieces from it, so the first
words reach speech while the model is still writing. A stopping criterion polls the
:class:`CancelToken`, so a cancel stops the model after its current token (both in
:mod:`.streaming`, shared with the local vision model). Thinking is switched
off in the chat template, and any ``<think>``/``<answer>`` tags that appear anyway are filtered
out before the caller sees them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    LogitsProcessor,
)

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import ModelLoadFailed
from lookaloud.core.i18n import tr
from lookaloud.core.runtime.compute import compute_thread
from lookaloud.core.runtime.cpu import cpu_has_native_bf16 as cpu_has_native_bf16  # re-exported
from lookaloud.core.runtime.dtypes import preferred_dtype
from lookaloud.core.runtime.hub import WRITING, HubAccess, quiet_transformers, resolve_model
from lookaloud.core.runtime.loading import ProcessCache, load_failures
from lookaloud.core.writers.base import ChatMessage, GenerationParams
from lookaloud.core.writers.decode import GROUPED_ATTENTION, GrowingCache, supports_growing_cache
from lookaloud.core.writers.matmuls import single_token_steps_without_onednn
from lookaloud.core.writers.prefix_cache import PrefixCache
from lookaloud.core.writers.sampling import generation_options
from lookaloud.core.writers.streaming import StreamedGeneration
from lookaloud.core.writers.tags import without_tags


@dataclass(frozen=True)
class LoadedWriterModel:
    """A tokenizer and model loaded together from one folder in one dtype."""

    folder: Path
    dtype: torch.dtype
    tokenizer: Any
    model: Any
    prefix_cache: PrefixCache = field(default_factory=PrefixCache, compare=False)


# transformers' "sdpa" for prompts, and one read of each key-value head per new token (see
# .decode): a 700-token context's decoding step went from about 91 ms to 58–62 ms on two cores.
DEFAULT_ATTENTION = GROUPED_ATTENTION

# Makes the extra logits processors of one generate call (see LocalQwenWriter).
LogitsProcessorFactory = Callable[[], Sequence[LogitsProcessor]]


class LocalQwenWriter:
    """The :class:`~lookaloud.core.writers.base.Writer` that runs a Qwen3 model locally.

    ``logits_processors``, when given, is called once per generation and its processors run after
    the model's own at every step; it is the seam the speed benchmark uses to script the tokens
    of randomly initialised models, and is left out in the product. ``reuse_prefix`` keeps the
    key-value cache of the system turn between calls (see :mod:`.prefix_cache`). ``attention``
    is transformers' attention implementation; see :data:`DEFAULT_ATTENTION`.
    ``native_decode_matmuls`` runs one-token steps without oneDNN (see :mod:`.matmuls`).
    """

    def __init__(
        self,
        model: str,
        *,
        dtype: torch.dtype | None = None,
        hub: HubAccess | None = None,
        logits_processors: LogitsProcessorFactory | None = None,
        reuse_prefix: bool = True,
        attention: str = DEFAULT_ATTENTION,
        native_decode_matmuls: bool = True,
    ) -> None:
        self._model_name = model
        self._dtype = dtype
        self._hub = hub
        self._logits_processors = logits_processors
        self._reuse_prefix = reuse_prefix
        self._attention = attention
        self._native_decode = native_decode_matmuls
        # Resolving the model looks through folders and the hub cache: do it once, not on
        # every prompt of every attempt.
        self._loaded: LoadedWriterModel | None = None

    @property
    def backend(self) -> str:
        return "local"

    @property
    def model_name(self) -> str:
        return self._model_name

    def load(self) -> LoadedWriterModel:
        """Find and load the model (once per process); raises ModelMissing or ModelLoadFailed."""
        if self._loaded is None:
            folder = resolve_model(self._model_name, WRITING, self._hub)
            dtype = preferred_dtype() if self._dtype is None else self._dtype
            how = (dtype, self._attention)
            self._loaded = compute_thread().run(
                lambda: _shared_model(folder, how, self._model_name)
            )
        return self._loaded

    def build_prompt(self, messages: Sequence[ChatMessage]) -> str:
        """The exact text the model is given: the chat template with thinking switched off."""
        chat = [{"role": message.role, "content": message.content} for message in messages]
        prompt: str = self.load().tokenizer.apply_chat_template(
            chat, tokenize=False, add_generation_prompt=True, enable_thinking=False
        )
        return prompt

    def fixed_prefix(self, messages: Sequence[ChatMessage]) -> str:
        """The start of the prompt that the system turn alone fixes ("" without one)."""
        if not messages or messages[0].role != "system":
            return ""
        system = [{"role": "system", "content": messages[0].content}]
        prefix: str = self.load().tokenizer.apply_chat_template(
            system, tokenize=False, add_generation_prompt=False, enable_thinking=False
        )
        return prefix

    def hold_system_turn(self, system: ChatMessage) -> None:
        """Computes the system turn's key-value cache now (at start-up), so the first picture
        reads only its own facts; nothing when prefixes are not reused."""
        if not self._reuse_prefix:
            return
        loaded = self.load()
        prefix = self.fixed_prefix([system])
        ids: list[int] = loaded.tokenizer(prefix, add_special_tokens=False)["input_ids"]
        compute_thread().run(lambda: loaded.prefix_cache.fill(loaded.model, ids))

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]:
        """Text pieces as the model writes them, without reasoning or answer tags."""
        cancel.raise_if_cancelled()
        prompt = self.build_prompt(messages)
        prefix = self.fixed_prefix(messages) if self._reuse_prefix else ""
        extra = list(self._logits_processors()) if self._logits_processors else []
        run = _GenerationRun(
            self.load(),
            (prompt, prefix),
            params,
            cancel,
            self._model_name,
            extra,
            native_decode=self._native_decode,
        )
        run.start()
        try:
            yield from without_tags(run.pieces())
        finally:
            run.stop()


class _GenerationRun:
    """One ``generate`` call of the writer, with its prompt, prefix cache and matmul choice."""

    def __init__(
        self,
        loaded: LoadedWriterModel,
        prompt_and_prefix: tuple[str, str],
        params: GenerationParams,
        cancel: CancelToken,
        model_name: str,
        extra_processors: Sequence[LogitsProcessor] = (),
        *,
        native_decode: bool = True,
    ) -> None:
        self._loaded = loaded
        self._native_decode = native_decode
        self._extra_processors = extra_processors
        self._seed = params.seed
        self._stream = StreamedGeneration(loaded.tokenizer, cancel, _writing_failed(model_name))
        prompt, prefix = prompt_and_prefix
        self._kwargs = self._generate_kwargs(prompt, params)
        self._prefix_ids: list[int] = (
            loaded.tokenizer(prefix, add_special_tokens=False)["input_ids"] if prefix else []
        )
        self._max_new_tokens = params.max_new_tokens

    def start(self) -> None:
        self._stream.start(self._generate)

    def stop(self) -> None:
        """Ask the model to stop (a no-op if it has finished) and wait for it."""
        self._stream.stop()

    def pieces(self) -> Iterator[str]:
        """Decoded pieces; then raises Cancelled or WriterError if the run did not finish well."""
        return self._stream.pieces()

    def _generate_kwargs(self, prompt: str, params: GenerationParams) -> dict[str, Any]:
        tokenizer = self._loaded.tokenizer
        inputs = tokenizer(prompt, return_tensors="pt", add_special_tokens=False)
        options = generation_options(params, tokenizer.pad_token_id)
        # The benchmark's scripted tokens must come after the draw, so they have the last word.
        options["logits_processor"].extend(self._extra_processors)
        return {
            **inputs,
            **options,
            "streamer": self._stream.streamer,
            "stopping_criteria": self._stream.stopping,
        }

    def _generate(self) -> None:
        if self._seed is not None:
            torch.manual_seed(self._seed)
        with torch.inference_mode(), self._matmuls():
            self._loaded.model.generate(**self._kwargs, **self._cache())

    def _matmuls(self) -> AbstractContextManager[None]:
        model = self._loaded.model
        return single_token_steps_without_onednn(model) if self._native_decode else nullcontext()

    def _cache(self) -> dict[str, Any]:
        """The ``cache`` to start from: the system turn's cache when there is one to reuse, else
        an empty growing cache where the model allows one (see .decode). transformers 5.24
        renamed this argument from ``past_key_values``, which goes away in 5.40."""
        model = self._loaded.model
        past = self._reused_prefix() if self._prefix_ids else None
        if past is None and supports_growing_cache(model.config):
            past = GrowingCache()
        return {} if past is None else {"cache": past}

    def _reused_prefix(self) -> Any:
        prompt_ids = self._kwargs["input_ids"][0].tolist()
        room = len(prompt_ids) - len(self._prefix_ids) + self._max_new_tokens
        cache = self._loaded.prefix_cache
        return cache.past_for(self._loaded.model, prompt_ids, self._prefix_ids, room)


def _writing_failed(model_name: str) -> str:
    return tr(
        "The writing model {model_name} failed while writing; try again, and "
        "choose another model in the settings if it keeps failing.",
        model_name=model_name,
    )


_MODELS: ProcessCache[tuple[str, torch.dtype, str], LoadedWriterModel] = ProcessCache()


def _shared_model(folder: Path, how: tuple[torch.dtype, str], name: str) -> LoadedWriterModel:
    """One copy per folder, dtype and attention for the whole process (see runtime.loading)."""
    return _MODELS.get((str(folder.resolve()), *how), lambda: _load(folder, how, name))


def _load(folder: Path, how: tuple[torch.dtype, str], name: str) -> LoadedWriterModel:
    dtype, attention = how
    quiet_transformers()
    with load_failures(_load_failed_message(name)):
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
        model = AutoModelForCausalLM.from_pretrained(
            folder,
            dtype=dtype,
            attn_implementation=attention,
            use_safetensors=True,
            trust_remote_code=False,
        )
    if not tokenizer.chat_template:
        raise ModelLoadFailed(
            tr(
                "The writing model {name} has no chat template, so it is not a chat "
                "model; choose a chat model such as Qwen/Qwen3-0.6B.",
                name=name,
            )
        )
    # from_pretrained already put the model in evaluation mode (no dropout).
    return LoadedWriterModel(folder=folder, dtype=dtype, tokenizer=tokenizer, model=model)


def _load_failed_message(model: str) -> str:
    return tr(
        "The writing model {model} could not be loaded; its files may be damaged, "
        "so run `lookaloud models pull` again or pass another folder with "
        "--writer-model.",
        model=model,
    )
