"""The local vision-language writer: Qwen3-VL on this computer, shown the picture itself.

It is one more writer for the one write loop: the pipeline gives it the ``[vision]`` prompt with
the OCR text as grounding and the picture from :meth:`LocalVlmWriter.prepare_image`, exactly as
it gives them to the remote vision model, and checks, retries and falls back as for any writer.

**Without torchvision.** ``Qwen3VLProcessor`` cannot be built without torchvision (it checks
its video processor's class, which needs torchvision, even when no video is given), so this
writer uses the two parts a picture needs: the tokenizer with its chat template, and the image
processor (``Qwen2VLImageProcessorPil`` when torchvision is missing). It expands each image
placeholder into one token per visual token itself, as the processor would.

**Looking once.** The vision tower's output for each picture is kept, keyed by the picture's
bytes. A follow-up question sends the same :class:`ImagePart` again (the session keeps it), so
it is answered from the kept encoding (``mm_encoder_outputs`` of ``generate``) without running
the vision tower again.

**Carrying on the conversation.** After each answer about a picture the model's key-value cache
is kept with the tokens it holds. A follow-up question sent as the same chat continued (the
session does so for a writer that sees images) shares that whole start, picture included, so the
model reads only the new tokens: the question, not the hundreds of visual tokens again (on two
cores a random real-size 2B model needed 15 s to its first word when it read everything anew).
"""

from __future__ import annotations

import io
import json
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from PIL import Image
from transformers import (
    AutoImageProcessor,
    AutoTokenizer,
    DynamicCache,
    LogitsProcessor,
    Qwen3VLForConditionalGeneration,
)
from transformers.models.qwen3_vl.modeling_qwen3_vl import BaseModelOutputWithDeepstackFeatures

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import ModelLoadFailed
from lookaloud.core.i18n import tr
from lookaloud.core.pipeline.facts import Detail
from lookaloud.core.runtime.compute import compute_thread
from lookaloud.core.runtime.dtypes import preferred_dtype
from lookaloud.core.runtime.hub import SEEING, HubAccess, quiet_transformers, resolve_model
from lookaloud.core.runtime.loading import ProcessCache, load_failures
from lookaloud.core.writers.base import ChatMessage, GenerationParams, ImagePart
from lookaloud.core.writers.sampling import generation_options
from lookaloud.core.writers.streaming import StreamedGeneration, stop_between_layers
from lookaloud.core.writers.tags import without_tags
from lookaloud.core.writers.vision_input import (
    KEPT_ENCODINGS,
    PIXEL_BUDGETS,
    TOKEN_SIDE_PX,
    budgeted_picture,
    budgeted_size,
    chat_turn,
    picture_key,
)

__all__ = [
    "DEFAULT_VLM_MODEL",
    "PIXEL_BUDGETS",
    "TOKEN_SIDE_PX",
    "LocalVlmWriter",
    "budgeted_size",
]

DEFAULT_VLM_MODEL = "Qwen/Qwen3-VL-2B-Instruct"

LogitsProcessorFactory = Callable[[], Sequence[LogitsProcessor]]


@dataclass(frozen=True)
class _Seen:
    """What the model made of one picture: its token grid and the vision tower's output."""

    grid_thw: torch.Tensor
    encoded: BaseModelOutputWithDeepstackFeatures


@dataclass
class _KeptConversation:
    """The model's state after its last answer about pictures: the key-value cache, the tokens
    it holds, which pictures they show, and the multimodal position offset that goes with them
    (Qwen3-VL numbers the tokens after a picture by its grid, not by their index)."""

    ids: list[int]
    pictures: tuple[str, ...]
    grids: tuple[torch.Tensor, ...]
    cache: DynamicCache
    rope_deltas: torch.Tensor

    def reusable_length(self, ids: Sequence[int], image_id: int) -> int:
        """How many of ``ids``' first tokens the kept cache already holds; 0 when it cannot
        serve them, because a picture lies beyond the shared start."""
        shared = _common_length(self.ids, ids)
        # At least one token must be read anew: its logits choose the first word.
        shared = min(shared, len(ids) - 1)
        last_picture_token = max(
            (i for i, token in enumerate(ids) if token == image_id), default=-1
        )
        return shared if shared > last_picture_token else 0


def _common_length(first: Sequence[int], second: Sequence[int]) -> int:
    for index, (a, b) in enumerate(zip(first, second, strict=False)):
        if a != b:
            return index
    return min(len(first), len(second))


@dataclass(frozen=True)
class _Start:
    """What one ``generate`` call starts from: its inputs, and the cache it reads and extends."""

    inputs: dict[str, Any]
    cache: DynamicCache
    grids: tuple[torch.Tensor, ...]


@dataclass
class _Conversation:
    """The one conversation kept (a few tens of megabytes per thousand tokens at the real
    size; only the latest is worth keeping, since a question follows the last description)."""

    kept: _KeptConversation | None = None


@dataclass(frozen=True)
class LoadedVlm:
    """The model, tokenizer and image processor of one folder, and the pictures it has seen."""

    folder: Path
    dtype: torch.dtype
    tokenizer: Any
    image_processor: Any
    model: Any
    # Only touched on the compute thread, so it needs no lock.
    seen: OrderedDict[str, _Seen] = field(default_factory=OrderedDict, compare=False)
    conversation: _Conversation = field(default_factory=_Conversation, compare=False)

    @property
    def image_token(self) -> str:
        token: str = self.tokenizer.convert_ids_to_tokens(self.model.config.image_token_id)
        return token

    def looked_at(self, part: ImagePart) -> _Seen:
        """The picture's encoding, made on first sight and kept (see KEPT_ENCODINGS)."""
        key = picture_key(part)
        if key in self.seen:
            self.seen.move_to_end(key)
        else:
            self.seen[key] = self._look(part)
            while len(self.seen) > KEPT_ENCODINGS:
                self.seen.popitem(last=False)
        return self.seen[key]

    def _look(self, part: ImagePart) -> _Seen:
        picture = Image.open(io.BytesIO(part.data)).convert("RGB")
        # The picture is already at its budget in whole tokens: the processor must not resize it.
        area = picture.width * picture.height
        size = {"shortest_edge": TOKEN_SIDE_PX**2, "longest_edge": area}
        pixels = self.image_processor(images=[picture], size=size, return_tensors="pt")
        grid = pixels["image_grid_thw"]
        vision = self.model.model.get_image_features
        return _Seen(grid, _kept(vision(pixels["pixel_values"], grid, return_dict=True)))


class LocalVlmWriter:
    """The :class:`~lookaloud.core.writers.base.Writer` (and ``ImageWriter``) that runs a
    Qwen3-VL model locally. ``logits_processors`` is the benchmark's seam, as for
    :class:`~lookaloud.core.writers.local.LocalQwenWriter`."""

    def __init__(
        self,
        model: str = DEFAULT_VLM_MODEL,
        *,
        dtype: torch.dtype | None = None,
        hub: HubAccess | None = None,
        logits_processors: LogitsProcessorFactory | None = None,
    ) -> None:
        self._model_name = model
        self._dtype = dtype
        self._hub = hub
        self._logits_processors = logits_processors
        self._loaded: LoadedVlm | None = None

    @property
    def backend(self) -> str:
        return "local-vlm"

    @property
    def model_name(self) -> str:
        return self._model_name

    def load(self) -> LoadedVlm:
        """Find and load the model (once per process); raises ModelMissing or ModelLoadFailed."""
        if self._loaded is None:
            folder = resolve_model(self._model_name, SEEING, self._hub)
            dtype = preferred_dtype() if self._dtype is None else self._dtype
            self._loaded = compute_thread().run(
                lambda: _shared_model(folder, dtype, self._model_name)
            )
        return self._loaded

    def prepare_image(self, image: Image.Image, detail: Detail = Detail.STANDARD) -> ImagePart:
        """The picture at the pixel budget of its kind and ``detail``, in whole visual tokens,
        as PNG (lossless: the letters of a screenshot stay as sharp as the scaling left them)."""
        return budgeted_picture(image, detail)

    def build_prompt(self, messages: Sequence[ChatMessage]) -> str:
        """The chat template's text with one placeholder per picture, thinking switched off
        (Qwen3-VL Instruct does not think; the flag matters for templates that can)."""
        prompt: str = self.load().tokenizer.apply_chat_template(
            [chat_turn(message) for message in messages],
            tokenize=False,
            add_generation_prompt=True,
            enable_thinking=False,
        )
        return prompt

    def stream(
        self, messages: Sequence[ChatMessage], params: GenerationParams, cancel: CancelToken
    ) -> Iterator[str]:
        """Text pieces as the model writes them, without reasoning or answer tags."""
        cancel.raise_if_cancelled()
        loaded = self.load()
        pictures = [part for message in messages for part in message.images]
        extra = list(self._logits_processors()) if self._logits_processors else []
        run = _VlmRun(loaded, self._model_name, params, cancel, extra)
        run.start(self.build_prompt(messages), pictures)
        try:
            yield from without_tags(run.pieces())
        finally:
            run.stop()


class _VlmRun:
    """One ``generate`` call: the pictures looked at (or recalled), then the words streamed."""

    def __init__(
        self,
        loaded: LoadedVlm,
        model_name: str,
        params: GenerationParams,
        cancel: CancelToken,
        extra_processors: Sequence[LogitsProcessor],
    ) -> None:
        self._loaded = loaded
        self._params = params
        self._extra_processors = extra_processors
        self._stream = StreamedGeneration(loaded.tokenizer, cancel, _describing_failed(model_name))

    def start(self, prompt: str, pictures: Sequence[ImagePart]) -> None:
        self._stream.start(lambda: self._generate(prompt, pictures))

    def stop(self) -> None:
        self._stream.stop()

    def pieces(self) -> Iterator[str]:
        return self._stream.pieces()

    def _generate(self, prompt: str, pictures: Sequence[ImagePart]) -> None:
        """On the compute thread: looking at the pictures is model work too, and it stops
        between layers on a cancel like the prefill does."""
        if self._params.seed is not None:
            torch.manual_seed(self._params.seed)
        keys = tuple(picture_key(part) for part in pictures)
        conversation = self._loaded.conversation
        with torch.inference_mode(), stop_between_layers(_layers(self._loaded.model), self._stop):
            start = self._continued(prompt, keys) or self._fresh(prompt, pictures)
            # A run that fails or is cancelled midway leaves the cache half written.
            conversation.kept = None
            written = self._loaded.model.generate(
                **start.inputs, cache=start.cache, **self._options()
            )
        if keys:
            conversation.kept = self._kept(start, written, keys)

    def _continued(self, prompt: str, keys: tuple[str, ...]) -> _Start | None:
        """The kept conversation cut back to what this prompt shares with it, or None."""
        kept = self._loaded.conversation.kept
        if kept is None or not keys or kept.pictures != keys:
            return None
        tokens = self._tokens(prompt, kept.grids)
        ids = tokens["input_ids"][0].tolist()
        shared = kept.reusable_length(ids, self._loaded.model.config.image_token_id)
        if not shared:
            return None
        surplus = kept.cache.get_seq_length() - shared
        if surplus:
            kept.cache.crop(-surplus)  # transformers 5.24: a negative count of tokens to remove
        # The tokens after a picture are numbered from its grid: generate reads this offset
        # instead of working it out again, as it does between the steps of one answer.
        self._loaded.model.model.rope_deltas = kept.rope_deltas
        return _Start(dict(tokens), kept.cache, kept.grids)

    def _fresh(self, prompt: str, pictures: Sequence[ImagePart]) -> _Start:
        seen = [self._loaded.looked_at(part) for part in pictures]
        grids = tuple(one.grid_thw for one in seen)
        tokens = self._tokens(prompt, grids)
        inputs: dict[str, Any] = dict(tokens)
        if seen:
            image_id = self._loaded.model.config.image_token_id
            # The multimodal positions need to know which tokens are the picture's (1 = image).
            inputs["mm_token_type_ids"] = (tokens["input_ids"] == image_id).int()
            inputs["image_grid_thw"] = torch.cat(grids)
            inputs["mm_encoder_outputs"] = {"image": _joined([one.encoded for one in seen])}
        return _Start(inputs, DynamicCache(config=self._loaded.model.config), grids)

    def _tokens(self, prompt: str, grids: Sequence[torch.Tensor]) -> Any:
        return self._loaded.tokenizer(
            _expanded(prompt, self._loaded.image_token, grids),
            return_tensors="pt",
            add_special_tokens=False,
        )

    def _kept(
        self, start: _Start, written: torch.Tensor, keys: tuple[str, ...]
    ) -> _KeptConversation:
        # The cache lacks the last token written (it was never read back), so the tokens kept
        # are cut to the cache's length.
        held = start.cache.get_seq_length()
        deltas = self._loaded.model.model.rope_deltas
        return _KeptConversation(written[0][:held].tolist(), keys, start.grids, start.cache, deltas)

    def _stop(self) -> bool:
        return self._stream.should_stop

    def _options(self) -> dict[str, Any]:
        options = generation_options(self._params, self._loaded.tokenizer.pad_token_id)
        options["logits_processor"].extend(self._extra_processors)
        return {
            **options,
            "streamer": self._stream.streamer,
            "stopping_criteria": self._stream.stopping,
        }


def _layers(model: Any) -> list[torch.nn.Module]:
    """The vision tower's blocks and the language model's layers: the steps a cancel waits
    for (each a few tens of milliseconds at the real size)."""
    return [*model.model.visual.blocks, *model.model.language_model.layers]


def _expanded(prompt: str, image_token: str, grids: Sequence[torch.Tensor]) -> str:
    """Each picture's one placeholder repeated once per visual token, in order."""
    pieces = prompt.split(image_token)
    if len(pieces) - 1 != len(grids):
        raise ValueError(f"{len(pieces) - 1} image placeholders for {len(grids)} pictures")
    text = pieces[0]
    for grid, after in zip(grids, pieces[1:], strict=True):
        text += image_token * _visual_tokens(grid) + after
    return text


def _visual_tokens(grid_thw: torch.Tensor) -> int:
    merged_patches = 4  # the 2×2 patches that make one visual token
    return int(grid_thw.prod().item()) // merged_patches


def _kept(encoded: Any) -> BaseModelOutputWithDeepstackFeatures:
    """Only what the language model reads: the merged visual tokens and the deepstack features
    (the tower's last hidden state, per patch before merging, would double what is kept)."""
    fields: dict[str, Any] = {
        "pooler_output": encoded.pooler_output,
        "deepstack_features": encoded.deepstack_features,
    }
    return BaseModelOutputWithDeepstackFeatures(**fields)


def _joined(encodings: Sequence[Any]) -> Any:
    """Several pictures' encodings as one, as the model makes them for several at once (its
    ``pooler_output`` is then a tuple of one tensor per picture, despite its annotation)."""
    if len(encodings) == 1:
        return encodings[0]
    layers = zip(*(one.deepstack_features for one in encodings), strict=True)
    fields: dict[str, Any] = {
        "pooler_output": tuple(piece for one in encodings for piece in one.pooler_output),
        "deepstack_features": [tuple(p for part in layer for p in part) for layer in layers],
    }
    return BaseModelOutputWithDeepstackFeatures(**fields)


def _describing_failed(model_name: str) -> str:
    return tr(
        "The vision-language model {model_name} failed while describing; try again, and "
        "choose another model in the settings if it keeps failing.",
        model_name=model_name,
    )


_MODELS: ProcessCache[tuple[str, torch.dtype], LoadedVlm] = ProcessCache()


def _shared_model(folder: Path, dtype: torch.dtype, name: str) -> LoadedVlm:
    """One copy per folder and dtype for the whole process (see runtime.loading)."""
    return _MODELS.get((str(folder.resolve()), dtype), lambda: _load(folder, dtype, name))


def _load(folder: Path, dtype: torch.dtype, name: str) -> LoadedVlm:
    quiet_transformers()
    with load_failures(_load_failed_message(name)):
        tokenizer = AutoTokenizer.from_pretrained(folder, trust_remote_code=False)
        image_processor = AutoImageProcessor.from_pretrained(  # type: ignore[no-untyped-call]
            folder, trust_remote_code=False
        )
        model = Qwen3VLForConditionalGeneration.from_pretrained(
            folder, dtype=dtype, use_safetensors=True, trust_remote_code=False
        )
        tokenizer.chat_template = tokenizer.chat_template or _processor_template(folder)
    if not tokenizer.chat_template:
        raise ModelLoadFailed(
            tr(
                "The vision-language model {name} has no chat template, so it is not a chat "
                "model; choose one such as Qwen/Qwen3-VL-2B-Instruct.",
                name=name,
            )
        )
    return LoadedVlm(folder, dtype, tokenizer, image_processor, model)


def _processor_template(folder: Path) -> str | None:
    """The template a processor keeps beside the tokenizer (``chat_template.json``), which
    the tokenizer alone does not read."""
    path = folder / "chat_template.json"
    if not path.is_file():
        return None
    template = json.loads(path.read_text(encoding="utf-8")).get("chat_template")
    return template if isinstance(template, str) else None


def _load_failed_message(model: str) -> str:
    return tr(
        "The vision-language model {model} could not be loaded; its files may be damaged, "
        "or it is not a Qwen3-VL model, so run `lookaloud models pull --backend local-vlm` "
        "again or pass another folder with --vlm-model.",
        model=model,
    )
