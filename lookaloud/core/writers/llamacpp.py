"""The llama.cpp writer: Qwen3 from a GGUF file (8- or 4-bit), streamed on the CPU.

llama.cpp picks its CPU kernels and runs 8- and 4-bit weights, which decode several times
faster than PyTorch's bf16 on 2 cores (see issue 12's figures). The prompt is rendered with the
model's own chat template, read from the GGUF file, with thinking switched off.

The prompt is read here, in one batch, before ``create_completion``, which would evaluate it
without a way to stop: a cancel must stop within 200 ms even while a long prompt is read, so
llama.cpp is given an abort callback that looks at the cancel token between the steps of its
computation graph, for the prompt only (decoding looks at it between tokens). One batch reads
twice as fast as the 16-token pieces that were checked in between before (68 against 33 prompt
tokens a second for 320 tokens of the real-size Q8_0 model, both on one busy 2-core AMD EPYC).
The tokens already in the model's memory from the last prompt (the system prompt, the same for
every image) are kept, so only what changed is read again.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import ModelLoadFailed
from lookaloud.core.i18n import tr
from lookaloud.core.runtime.compute import compute_thread
from lookaloud.core.writers.base import ChatMessage, GenerationParams
from lookaloud.core.writers.tags import ThinkTagFilter

CONTEXT_TOKENS = 4096

LogitsProcessor = Callable[[Any, Any], Any]
"""llama-cpp-python's shape: (token ids so far, one row of scores) -> scores, numpy arrays."""


class LlamaCppWriter:
    """Writes with a GGUF model through llama-cpp-python; one model per file per process."""

    def __init__(
        self,
        model_file: Path,
        threads: int | None = None,
        logits_processors: Callable[[], list[LogitsProcessor]] | None = None,
    ) -> None:
        """``logits_processors``, when given, is called once per generation; the benchmark uses
        it to script the tokens of random weights, as with the transformers writer."""
        self._file = model_file
        self._threads = threads or physical_cores()
        self._logits_processors = logits_processors
        self._llama: Any = None
        self._abort: PromptAbort | None = None
        self._lock = threading.Lock()  # one generation at a time on the one model state

    @property
    def backend(self) -> str:
        return "llamacpp"

    @property
    def model_file(self) -> Path:
        return self._file

    @property
    def model_name(self) -> str:
        return self._file.name

    def load(self) -> Any:
        if self._llama is None:
            self._llama = open_llama(self._file, self._threads)
            self._abort = PromptAbort(self._llama)
        return self._llama

    def build_prompt(self, messages: Sequence[ChatMessage]) -> str:
        chat = [{"role": m.role, "content": m.content} for m in messages]
        return render_chat(self.load(), chat, self.model_name)

    def hold_system_turn(self, system: ChatMessage) -> None:
        """Reads the system turn alone (the tokens every chat that starts with it shares) and
        forgets what followed it; called at start-up, so the first picture reads only its own
        facts."""
        llama = self.load()
        tokens = system_turn_tokens(
            system, lambda chat: llama.tokenize(self.build_prompt(chat).encode(), False, True)
        )
        with self._lock:
            compute_thread().run(lambda: _hold_only(llama, tokens))

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]:
        """Text pieces as the model writes them, without reasoning tags."""
        cancel.raise_if_cancelled()
        llama = self.load()
        tokens = llama.tokenize(self.build_prompt(messages).encode("utf-8"), False, True)
        # On the thread PyTorch computes on: llama.cpp's OpenMP team then is the captioner's
        # team, not a second one (see _generate).
        for piece in compute_thread().stream(lambda: self._generate(llama, tokens, params, cancel)):
            cancel.raise_if_cancelled()  # pieces written before the cancel may be queued here
            yield piece

    def _generate(
        self, llama: Any, tokens: list[int], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]:
        """The writing itself, on the compute thread. With libgomp, every thread that starts
        parallel work keeps a team of its own, and once the process holds more OpenMP threads
        than cores, waiting threads stop spinning and sleep at each of the graph's barriers:
        decoding fell from about 28 to 20 tokens a second after one BLIP caption on another
        thread (real-size Q8_0 model, 2-core AMD EPYC), and back on this thread."""
        with self._lock:
            processors = self._logits_processors() if self._logits_processors else None
            assert self._abort is not None  # made by load()
            _read_prompt(llama, tokens, cancel, self._abort)
            pieces = llama.create_completion(
                tokens, stream=True, logits_processor=processors, **_sampling(params)
            )
            tags = ThinkTagFilter()
            try:
                for chunk in pieces:
                    cancel.raise_if_cancelled()
                    if shown := tags.feed(chunk["choices"][0]["text"]):
                        yield shown
            finally:
                pieces.close()
            if tail := tags.flush():
                yield tail


class PromptAbort:
    """llama.cpp's abort callback for one model, watching a cancel token while a prompt is read.

    The callback is called from llama.cpp's thread before each step of the graph (hundreds per
    batch), so it is installed for the prompt only: during decoding it would cost a Python call
    per step for each token.
    """

    def __init__(self, llama: Any) -> None:
        import llama_cpp

        self._api = llama_cpp
        self._context = llama._ctx.ctx
        self._cancel: CancelToken | None = None
        # Kept on the object: llama.cpp holds only the pointer, and a collected callback crashes.
        self._callback = llama_cpp.ggml_abort_callback(self._should_abort)

    def _should_abort(self, _data: ctypes.c_void_p) -> bool:
        return self._cancel is not None and self._cancel.cancelled

    @contextmanager
    def watching(self, cancel: CancelToken) -> Iterator[None]:
        self._cancel = cancel
        self._api.llama_set_abort_callback(self._context, self._callback, None)
        try:
            yield
        finally:
            no_callback = self._api.ggml_abort_callback()  # a null function pointer
            self._api.llama_set_abort_callback(self._context, no_callback, None)
            self._cancel = None


def _read_prompt(llama: Any, tokens: list[int], cancel: CancelToken, abort: PromptAbort) -> None:
    """Evaluates all but the last prompt token, keeping what the model already holds."""
    kept = min(common_length(llama.input_ids[: llama.n_tokens], tokens), len(tokens) - 1)
    llama.n_tokens = kept  # eval() drops the model's memory from here on
    cancel.raise_if_cancelled()
    # The last token is left to create_completion, which finds the rest already read.
    with abort.watching(cancel):
        try:
            llama.eval(tokens[kept : len(tokens) - 1])
        except RuntimeError:
            # An aborted batch is not counted in n_tokens, and the next eval() drops its
            # half-written memory, so the model is ready for the next prompt.
            cancel.raise_if_cancelled()
            raise


def _hold_only(llama: Any, tokens: list[int]) -> None:
    """Leaves the model holding exactly ``tokens``, evaluating only those it lacks."""
    llama.n_tokens = common_length(llama.input_ids[: llama.n_tokens], tokens)
    llama.eval(tokens[llama.n_tokens :])


def system_turn_tokens(
    system: ChatMessage, tokens_of: Callable[[list[ChatMessage]], Sequence[int]]
) -> list[int]:
    """The tokens every prompt that starts with ``system`` begins with: two chats that part
    right after it, tokenized by ``tokens_of`` as a prompt is, cut where they differ."""
    first, second = (tokens_of([system, ChatMessage("user", other)]) for other in ("A", "B"))
    return list(first[: common_length(first, second)])


def common_length(first: Sequence[object], second: Sequence[object]) -> int:
    """How many entries two sequences share from their start."""
    for index, (a, b) in enumerate(zip(first, second, strict=False)):
        if a != b:
            return index
    return min(len(first), len(second))


def _sampling(params: GenerationParams) -> dict[str, Any]:
    greedy = params.temperature <= 0
    return {
        "max_tokens": params.max_new_tokens,
        "temperature": 0.0 if greedy else params.temperature,
        "top_p": 1.0 if greedy else params.top_p,
        "top_k": 1 if greedy else params.top_k,
        "min_p": 0.0,  # llama-cpp-python's default of 0.05 would differ from transformers
        "repeat_penalty": params.repetition_penalty,
        "seed": params.seed if params.seed is not None else -1,
    }


def physical_cores() -> int:
    """Cores, not hardware threads: llama.cpp decodes fastest with one thread per core."""
    cores: set[tuple[str, str]] = set()
    try:
        with Path("/proc/cpuinfo").open(encoding="utf-8") as info:
            package = core = ""
            for line in info:
                key, _, value = line.partition(":")
                if key.strip() == "physical id":
                    package = value.strip()
                elif key.strip() == "core id":
                    core = value.strip()
                    cores.add((package, core))
    except OSError:
        pass
    return len(cores) or os.cpu_count() or 1


def render_chat(llama: Any, chat: list[dict[str, Any]], model_name: str) -> str:
    """``chat`` rendered with the chat template the GGUF file holds, thinking switched off."""
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    template = llama.metadata.get("tokenizer.chat_template", "")
    if not template:
        raise ModelLoadFailed(
            tr("{model} has no chat template; convert it again.", model=model_name)
        )
    environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    rendered: str = environment.from_string(template).render(
        messages=chat, add_generation_prompt=True, enable_thinking=False
    )
    return rendered


def open_llama(model_file: Path, threads: int) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError as missing:
        raise ModelLoadFailed(
            tr(
                "The llama.cpp engine is not installed; run scripts/install.sh again, or "
                "choose engine = transformers."
            )
        ) from missing
    if not model_file.is_file():
        raise ModelLoadFailed(tr("The model file {path} is missing.", path=str(model_file)))
    try:
        return Llama(
            model_path=str(model_file),
            n_ctx=CONTEXT_TOKENS,
            n_threads=threads,
            n_threads_batch=threads,
            verbose=False,
        )
    except (ValueError, RuntimeError) as failed:
        raise ModelLoadFailed(
            tr("llama.cpp could not load {path}: {error}", path=str(model_file), error=failed)
        ) from failed
