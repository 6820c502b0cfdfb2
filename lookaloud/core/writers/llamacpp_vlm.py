"""The local vision model on llama.cpp: Qwen3-VL from its two GGUF files, shown the picture.

The same writer as :class:`~lookaloud.core.writers.local_vlm.LocalVlmWriter` (backend
``local-vlm``), on the engine that decodes 8- and 4-bit weights several times faster on a CPU.
The pictures go through llama.cpp's multimodal library (see :mod:`.mtmd`); the words are chosen
here, one token at a time, so the benchmark's scripted tokens and the cancel token both act
between any two tokens.

**Looking once, reading once.** Each picture's encoding is kept (keyed by its bytes, like the
transformers engine), so a retry with another prompt does not run the vision tower again. What
the model holds after an answer is kept too, as the list of pieces it read (text tokens and
pictures): a follow-up question, sent as the same chat continued, shares that start, so only
the question's tokens are read.
"""

from __future__ import annotations

import codecs
import io
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import ModelLoadFailed
from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.facts import Detail
from lookaloud.core.runtime.compute import compute_thread
from lookaloud.core.runtime.gguf_convert import VisionModelFiles
from lookaloud.core.writers.base import ChatMessage, GenerationParams, ImagePart
from lookaloud.core.writers.llamacpp import (
    PromptAbort,
    common_length,
    open_llama,
    physical_cores,
    render_chat,
    system_turn_tokens,
)
from lookaloud.core.writers.mtmd import Chunk, Chunks, Mtmd
from lookaloud.core.writers.tags import without_tags
from lookaloud.core.writers.vision_input import (
    KEPT_ENCODINGS,
    budgeted_picture,
    chat_turn,
    picture_key,
)

LogitsProcessor = Callable[[Any, Any], Any]
"""(token ids so far, one row of scores) -> scores, numpy arrays, as for LlamaCppWriter."""

# What the chat template writes for a picture; mtmd writes the start and end tokens itself.
TEMPLATE_PICTURE = "<|vision_start|><|image_pad|><|vision_end|>"

Piece = int | str
"""What the model holds, one entry per read: a text token, or a picture's key."""


@dataclass
class LoadedVisionModel:
    """The engine, the pictures' kept encodings, and what the model holds now."""

    files: VisionModelFiles
    mtmd: Mtmd
    abort: PromptAbort
    encodings: OrderedDict[str, np.ndarray[Any, Any]] = field(default_factory=OrderedDict)
    held: list[Piece] = field(default_factory=list)
    held_positions: list[int] = field(default_factory=list)  # the position after each piece

    def forget(self, keep: int = 0) -> None:
        """Keeps the first ``keep`` pieces the model holds and drops the rest."""
        del self.held[keep:], self.held_positions[keep:]
        self.mtmd.forget_from(self.position)

    @property
    def position(self) -> int:
        return self.held_positions[-1] if self.held_positions else 0

    def hold(self, piece: Piece, position: int) -> None:
        self.held.append(piece)
        self.held_positions.append(position)


class LlamaCppVlmWriter:
    """Writes about pictures with a Qwen3-VL GGUF pair; one model per process."""

    def __init__(
        self,
        files: VisionModelFiles,
        threads: int | None = None,
        logits_processors: Callable[[], list[LogitsProcessor]] | None = None,
    ) -> None:
        self._files = files
        self._threads = threads or physical_cores()
        self._logits_processors = logits_processors
        self._loaded: LoadedVisionModel | None = None
        self._lock = threading.Lock()  # one generation at a time on the one model state

    @property
    def backend(self) -> str:
        return "local-vlm"

    @property
    def engine(self) -> str:
        return "llamacpp"

    @property
    def model_name(self) -> str:
        return self._files.text.name

    @property
    def files(self) -> VisionModelFiles:
        return self._files

    def load(self) -> LoadedVisionModel:
        if self._loaded is None:
            self._loaded = compute_thread().run(self._open)
        return self._loaded

    def _open(self) -> LoadedVisionModel:
        if not self._files.projector.is_file():
            raise ModelLoadFailed(
                tr("The model file {path} is missing.", path=str(self._files.projector))
            )
        llama = open_llama(self._files.text, self._threads)
        return LoadedVisionModel(
            self._files, Mtmd(llama, self._files.projector, self._threads), PromptAbort(llama)
        )

    def prepare_image(self, image: Image.Image, detail: Detail = Detail.STANDARD) -> ImagePart:
        return budgeted_picture(image, detail)

    def build_prompt(self, messages: Sequence[ChatMessage]) -> str:
        """The model's own chat template, with mtmd's marker where each picture goes."""
        loaded = self.load()
        chat = [chat_turn(message) for message in messages]
        rendered = render_chat(loaded.mtmd.llama, chat, self.model_name)
        pictures = sum(len(message.images) for message in messages)
        if rendered.count(TEMPLATE_PICTURE) != pictures:
            raise ModelLoadFailed(
                tr(
                    "{model}'s chat template does not place pictures as Qwen3-VL does; use a "
                    "Qwen3-VL model.",
                    model=self.model_name,
                )
            )
        return rendered.replace(TEMPLATE_PICTURE, loaded.mtmd.marker)

    def hold_system_turn(self, system: ChatMessage) -> None:
        """Reads the system turn alone (the tokens every chat that starts with it shares) and
        forgets what followed it; called at start-up, so the first picture reads only its own
        turn."""
        loaded = self.load()
        tokens = system_turn_tokens(system, lambda chat: self._prompt_tokens(loaded, chat))
        with self._lock:
            compute_thread().run(lambda: _hold_only(loaded, tokens))

    def _prompt_tokens(self, loaded: LoadedVisionModel, chat: list[ChatMessage]) -> list[int]:
        """A chat without pictures, tokenized as mtmd tokenizes a prompt."""
        chunks = loaded.mtmd.tokenize(self.build_prompt(chat), [])
        try:
            return [token for chunk in chunks.items for token in chunk.tokens]
        finally:
            chunks.close()

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]:
        """Text pieces as the model writes them, without reasoning or answer tags."""
        cancel.raise_if_cancelled()
        loaded = self.load()
        prompt = self.build_prompt(messages)
        pictures = [part for message in messages for part in message.images]
        run = _Run(loaded, params, cancel, self._processors())
        # On the compute thread, for the reason given in LlamaCppWriter._generate.
        pieces = compute_thread().stream(lambda: self._locked(run, prompt, pictures))
        for piece in without_tags(pieces):
            cancel.raise_if_cancelled()
            yield piece

    def _processors(self) -> list[LogitsProcessor]:
        return self._logits_processors() if self._logits_processors else []

    def _locked(self, run: _Run, prompt: str, pictures: list[ImagePart]) -> Iterator[str]:
        with self._lock:
            yield from run.write(prompt, pictures)


class _Run:
    """One answer: the prompt read (what the model holds is kept), then the words chosen."""

    def __init__(
        self,
        loaded: LoadedVisionModel,
        params: GenerationParams,
        cancel: CancelToken,
        processors: list[LogitsProcessor],
    ) -> None:
        self._loaded, self._params, self._cancel = loaded, params, cancel
        self._processors = processors
        self._rng = np.random.default_rng(params.seed)

    def write(self, prompt: str, pictures: list[ImagePart]) -> Iterator[str]:
        loaded = self._loaded
        keyed = [(picture_key(part), _pixels(part)) for part in pictures]
        chunks = loaded.mtmd.tokenize(prompt, keyed)
        try:
            read = self._read_prompt(chunks)
        except BaseException:
            loaded.forget()  # a half-read prompt is no start for the next one
            raise
        finally:
            chunks.close()
        yield from self._words(read)

    def _read_prompt(self, chunks: Chunks) -> list[int]:
        """Reads what the model does not hold yet; returns the prompt's text tokens (what a
        repetition penalty and the benchmark's script look at)."""
        loaded = self._loaded
        wanted = [piece for chunk in chunks.items for piece in _pieces(chunk)]
        shared = min(common_length(loaded.held, wanted), len(wanted) - 1)
        loaded.forget(keep=shared)
        done = 0
        for chunk in chunks.items:
            count = len(_pieces(chunk))
            if done + count > shared:
                self._read_chunk(chunk, skip=max(0, shared - done), last=chunk is chunks.items[-1])
            done += count
        return [piece for piece in wanted if isinstance(piece, int)]

    def _read_chunk(self, chunk: Chunk, skip: int, last: bool) -> None:
        loaded, cancel = self._loaded, self._cancel
        cancel.raise_if_cancelled()
        if chunk.picture:
            embeddings = self._encoding(chunk)
            cancel.raise_if_cancelled()
            with loaded.abort.watching(cancel):
                after = self._guarded(
                    lambda: loaded.mtmd.read_picture(chunk, embeddings, loaded.position)
                )
            loaded.hold(chunk.picture, after)
            return
        tokens = list(chunk.tokens[skip:])
        with loaded.abort.watching(cancel):
            self._guarded(lambda: _read_text(loaded, tokens, logits_last=last))

    def _guarded(self, call: Callable[[], int]) -> int:
        try:
            return call()
        except RuntimeError:
            self._cancel.raise_if_cancelled()  # llama.cpp stopped because of the cancel
            raise

    def _encoding(self, chunk: Chunk) -> np.ndarray[Any, Any]:
        kept = self._loaded.encodings
        if chunk.picture in kept:
            kept.move_to_end(chunk.picture)
        else:
            kept[chunk.picture] = self._loaded.mtmd.encode(chunk, self._cancel)
            while len(kept) > KEPT_ENCODINGS:
                kept.popitem(last=False)
        return kept[chunk.picture]

    def _words(self, prompt_tokens: list[int]) -> Iterator[str]:
        loaded, mtmd = self._loaded, self._loaded.mtmd
        text = codecs.getincrementaldecoder("utf-8")(errors="replace")
        written: list[int] = []
        for _ in range(self._params.max_new_tokens):
            self._cancel.raise_if_cancelled()
            token = self._choose(mtmd.scores(), prompt_tokens, written)
            if mtmd.is_end(token):
                break
            written.append(token)
            if shown := text.decode(mtmd.piece(token)):
                yield shown
            if len(written) == self._params.max_new_tokens:
                break  # the last token need not be read: nothing follows it
            position = loaded.position
            mtmd.read_tokens([token], position, logits_last=True)
            loaded.hold(token, position + 1)
        if tail := text.decode(b"", final=True):
            yield tail

    def _choose(self, scores: np.ndarray[Any, Any], prompt: list[int], written: list[int]) -> int:
        ids = np.asarray([*prompt, *written], dtype=np.intc)
        for processor in self._processors:
            scores = processor(ids, scores)
        return choose_token(scores, ids, self._params, self._rng)


def choose_token(
    scores: np.ndarray[Any, Any],
    seen: np.ndarray[Any, Any],
    params: GenerationParams,
    rng: np.random.Generator,
) -> int:
    """The next token as transformers would choose it: the repetition penalty on every token
    seen, then greedy, or temperature, top-k and top-p and a draw."""
    scores = scores.astype(np.float32, copy=True)
    if params.repetition_penalty != 1.0 and seen.size:
        unique = np.unique(seen)
        penalised = scores[unique]
        scores[unique] = np.where(
            penalised > 0,
            penalised / params.repetition_penalty,
            penalised * params.repetition_penalty,
        )
    if params.temperature <= 0:
        return int(np.argmax(scores))
    k = scores.size if params.top_k < 1 else min(params.top_k, scores.size)
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.argsort(-scores[top], kind="stable")]
    logits = scores[top] / params.temperature
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    if params.top_p < 1.0:
        before = np.cumsum(probs) - probs  # mass of the higher-ranked tokens
        probs = np.where(before < params.top_p, probs, 0.0)
        probs /= probs.sum()
    return int(top[rng.choice(k, p=probs)])


def _read_text(loaded: LoadedVisionModel, tokens: list[int], logits_last: bool) -> int:
    """Reads prompt tokens after what the model holds, and holds them."""
    start = loaded.position
    after = loaded.mtmd.read_prompt(tokens, start, logits_last=logits_last)
    for offset, token in enumerate(tokens, start=1):
        loaded.hold(token, start + offset)
    return after


def _hold_only(loaded: LoadedVisionModel, tokens: list[int]) -> None:
    """Leaves the model holding exactly ``tokens``, reading only those it lacks."""
    shared = common_length(loaded.held, tokens)
    loaded.forget(keep=shared)
    if rest := tokens[shared:]:
        try:
            _read_text(loaded, rest, logits_last=False)
        except BaseException:
            loaded.forget(keep=shared)
            raise


def _pieces(chunk: Chunk) -> list[Piece]:
    return [chunk.picture] if chunk.picture else list(chunk.tokens)


def _pixels(part: ImagePart) -> np.ndarray[Any, Any]:
    return np.asarray(Image.open(io.BytesIO(part.data)).convert("RGB"), dtype=np.uint8)
