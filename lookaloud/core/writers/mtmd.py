"""llama.cpp's multimodal library (mtmd) as the llama.cpp vision writer uses it.

A prompt with pictures is cut by ``mtmd_tokenize`` into chunks: runs of text tokens, and one
chunk per picture. A picture's chunk is encoded by the vision tower (``mtmd_encode_chunk``) into
embeddings that the language model then reads (``mtmd_helper_decode_image_chunk``); text is
read with ``llama_decode``. Each is a separate call here, so the writer can skip what the model
already holds and re-use a picture's encoding.

**Stopping the vision tower.** llama.cpp's abort callback stops the language model's graph but
not mtmd's. mtmd calls a scheduler callback (``cb_eval``) between the nodes of its graph; when it
answers "stop", the rest of the graph is skipped and ``mtmd_encode_chunk`` still reports success,
so :meth:`Mtmd.encode` checks the cancel token itself and raises. Asking to see every node would
make the scheduler run the graph node by node, so it asks for one in :data:`NODES_PER_CHECK`.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import ModelLoadFailed
from lookaloud.core.i18n import tr

NODES_PER_CHECK = 32  # a 24-block vision tower has about 30 nodes per block
TEXT_CHUNK = 0  # MTMD_INPUT_CHUNK_TYPE_TEXT


@dataclass(frozen=True)
class Chunk:
    """One piece of a tokenized prompt: text tokens, or one picture (``picture`` is its key)."""

    handle: Any  # the mtmd_input_chunk, owned by its Chunks
    tokens: tuple[int, ...] = ()
    picture: str = ""
    picture_tokens: int = 0
    positions: int = 0  # how far the picture moves the position on (not its token count)


class Chunks:
    """The chunks of one prompt; freed on close."""

    def __init__(self, api: Any, handle: Any, items: list[Chunk], bitmaps: list[Any]) -> None:
        self._api, self._handle, self._bitmaps = api, handle, bitmaps
        self.items = items

    def close(self) -> None:
        self._api.mtmd_input_chunks_free(self._handle)
        for bitmap in self._bitmaps:
            self._api.mtmd_bitmap_free(bitmap)


class Mtmd:
    """The language model (a llama-cpp-python ``Llama``) and its vision projector."""

    def __init__(self, llama: Any, projector: Path, threads: int) -> None:
        import llama_cpp
        from llama_cpp import mtmd_cpp

        self.llama, self._lc, self._api = llama, llama_cpp, mtmd_cpp
        self._cancel: CancelToken | None = None
        self._asked = 0
        # Kept on the object: C holds only the pointers, and a collected callback crashes.
        self._node_check = llama_cpp.ggml_backend_sched_eval_callback(self._between_nodes)
        _silence_mtmd(llama_cpp, mtmd_cpp)
        params = mtmd_cpp.mtmd_context_params_default()
        params.use_gpu, params.n_threads, params.warmup = False, threads, False
        params.print_timings = False
        # The writer sizes each picture to its budget in whole tokens: mtmd must not enlarge
        # a small one to its own minimum.
        params.image_min_tokens = 1
        params.cb_eval = self._node_check
        self._context = mtmd_cpp.mtmd_init_from_file(
            str(projector).encode(), llama._model.model, params
        )
        if not self._context:
            raise ModelLoadFailed(
                tr(
                    "llama.cpp could not load the vision projector {path}; convert the model "
                    "again with `lookaloud models convert`.",
                    path=str(projector),
                )
            )
        self.marker = mtmd_cpp.mtmd_default_marker().decode()
        model = llama._model.model
        self.embedding_width = llama_cpp.llama_model_n_embd_inp(model)
        self.vocabulary = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(model))
        self.batch_size: int = llama.n_batch
        # What the engine did, for tests and the benchmark: vision-tower runs, the seconds
        # they took, and the tokens read as prompt, text and pictures' (not the written ones).
        self.encoded_pictures = 0
        self.encoding_seconds = 0.0
        self.prompt_tokens_read = 0
        self.picture_tokens_read = 0
        self.encoding = False

    def close(self) -> None:
        self._api.mtmd_free(self._context)

    def tokenize(self, prompt: str, pictures: list[tuple[str, np.ndarray[Any, Any]]]) -> Chunks:
        """``prompt`` with one marker per picture, each given as (key, RGB pixels)."""
        api = self._api
        bitmaps = [self._bitmap(key, pixels) for key, pixels in pictures]
        handle = api.mtmd_input_chunks_init()
        chunks = Chunks(api, handle, [], bitmaps)
        text = prompt.encode("utf-8")
        given = api.mtmd_input_text(text, len(text), False, True)
        array = (api.mtmd_bitmap_p_ctypes * max(1, len(bitmaps)))(*bitmaps)
        if api.mtmd_tokenize(self._context, handle, ctypes.byref(given), array, len(bitmaps)):
            chunks.close()
            raise ValueError(f"mtmd could not tokenize a prompt with {len(bitmaps)} pictures")
        chunks.items = [
            self._chunk(api.mtmd_input_chunks_get(handle, i))
            for i in range(api.mtmd_input_chunks_size(handle))
        ]
        return chunks

    def _bitmap(self, key: str, pixels: np.ndarray[Any, Any]) -> Any:
        height, width = pixels.shape[:2]
        data = (ctypes.c_uint8 * pixels.size).from_buffer_copy(
            np.ascontiguousarray(pixels, dtype=np.uint8).tobytes()
        )
        bitmap = self._api.mtmd_bitmap_init(width, height, data)
        self._api.mtmd_bitmap_set_id(bitmap, key.encode())
        return bitmap

    def _chunk(self, handle: Any) -> Chunk:
        api = self._api
        if api.mtmd_input_chunk_get_type(handle) == TEXT_CHUNK:
            count = ctypes.c_size_t(0)
            pointer = api.mtmd_input_chunk_get_tokens_text(handle, ctypes.byref(count))
            return Chunk(handle, tuple(pointer[i] for i in range(count.value)))
        key = (api.mtmd_input_chunk_get_id(handle) or b"").decode()
        return Chunk(
            handle,
            picture=key,
            picture_tokens=api.mtmd_input_chunk_get_n_tokens(handle),
            positions=api.mtmd_input_chunk_get_n_pos(handle),
        )

    def encode(self, chunk: Chunk, cancel: CancelToken) -> np.ndarray[Any, Any]:
        """The picture's embeddings from the vision tower (a copy, so it can be kept)."""
        self.encoded_pictures += 1
        began = time.perf_counter()
        with self._stopping_on(cancel):
            failed = self._api.mtmd_encode_chunk(self._context, chunk.handle)
        self.encoding_seconds += time.perf_counter() - began
        cancel.raise_if_cancelled()  # a stopped graph reports success, with half its output
        if failed:
            raise RuntimeError(f"mtmd could not encode a picture (error {failed})")
        size = chunk.picture_tokens * self.embedding_width
        output = self._api.mtmd_get_output_embd(self._context)
        return np.ctypeslib.as_array(output, shape=(size,)).copy()

    def read_picture(self, chunk: Chunk, embeddings: np.ndarray[Any, Any], position: int) -> int:
        """The language model reads a picture's embeddings at ``position``; returns the next."""
        self.picture_tokens_read += chunk.picture_tokens
        after = self._lc.llama_pos(0)
        pointer = embeddings.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        failed = self._api.mtmd_helper_decode_image_chunk(
            self._context,
            self.llama._ctx.ctx,
            chunk.handle,
            pointer,
            position,
            0,
            self.batch_size,
            ctypes.byref(after),
            self._api.mtmd_helper_post_decode_callback(),
            None,
        )
        if failed:
            raise RuntimeError(f"llama.cpp could not read a picture (error {failed})")
        return int(after.value)

    def read_prompt(self, tokens: list[int], position: int, logits_last: bool) -> int:
        self.prompt_tokens_read += len(tokens)
        return self.read_tokens(tokens, position, logits_last)

    def read_tokens(self, tokens: list[int], position: int, logits_last: bool) -> int:
        """The language model reads ``tokens`` from ``position`` in batches; returns the next
        position. Only the last token's scores are kept, when asked."""
        lc, context = self._lc, self.llama._ctx.ctx
        batch: Any = lc.llama_batch_init(self.batch_size, 0, 1)
        try:
            for start in range(0, len(tokens), self.batch_size):
                piece = tokens[start : start + self.batch_size]
                batch.n_tokens = len(piece)
                for i, token in enumerate(piece):
                    batch.token[i], batch.pos[i] = token, position + i
                    batch.n_seq_id[i], batch.seq_id[i][0], batch.logits[i] = 1, 0, 0
                last = start + len(piece) == len(tokens)
                batch.logits[len(piece) - 1] = int(logits_last and last)
                if lc.llama_decode(context, batch):
                    raise RuntimeError("llama.cpp could not read the prompt")
                position += len(piece)
        finally:
            lc.llama_batch_free(batch)
        return position

    def scores(self) -> np.ndarray[Any, Any]:
        """The last read token's scores over the vocabulary (a copy)."""
        logits = self._lc.llama_get_logits_ith(self.llama._ctx.ctx, -1)
        return np.ctypeslib.as_array(logits, shape=(self.vocabulary,)).copy()

    def forget_from(self, position: int) -> None:
        """Drops what the model holds from ``position`` on (all of it at 0)."""
        memory = self._lc.llama_get_memory(self.llama._ctx.ctx)
        if position <= 0:
            self._lc.llama_memory_clear(memory, True)
        else:
            self._lc.llama_memory_seq_rm(memory, 0, position, -1)

    def is_end(self, token: int) -> bool:
        vocab = self._lc.llama_model_get_vocab(self.llama._model.model)
        return bool(self._lc.llama_vocab_is_eog(vocab, token))

    def piece(self, token: int) -> bytes:
        data: bytes = self.llama.detokenize([token], special=False)
        return data

    @contextmanager
    def _stopping_on(self, cancel: CancelToken) -> Iterator[None]:
        self._cancel, self._asked, self.encoding = cancel, 0, True
        try:
            yield
        finally:
            self._cancel, self.encoding = None, False

    def _between_nodes(self, _tensor: Any, ask: bool, _data: Any) -> bool:
        if ask:
            self._asked += 1
            return self._cancel is not None and self._asked % NODES_PER_CHECK == 0
        return self._cancel is None or not self._cancel.cancelled


def _ignore_log(_level: int, _text: bytes, _data: Any) -> None:
    return None


_QUIET: list[Any] = []  # the one log callback, alive as long as the process


def _silence_mtmd(llama_cpp: Any, mtmd_cpp: Any) -> None:
    """mtmd prints every chunk it makes to stderr, which is no place for it in the user's
    terminal. The helper's setting is process-wide (llama.cpp's own log included, which the
    binding already keeps quiet), so the callback must outlive every model: a collected one
    would crash the next log line."""
    if not _QUIET:
        _QUIET.append(llama_cpp.llama_log_callback(_ignore_log))
        mtmd_cpp.mtmd_log_set(_QUIET[0], None)
        mtmd_cpp.mtmd_helper_log_set(_QUIET[0], None)
