"""The measured paths: the seed tutorials' way (baseline), Lookaloud's own (product), and the
product with the llama.cpp engine writing from GGUF files of the same model (llamacpp-*).

Both describe the same picture from the same facts with the same prompt and produce the same
number of tokens; both have their models loaded and warmed before the clock starts.

- **baseline** — fp32 everywhere; OCR, then one BLIP call for the whole picture and its three
  parts, then ``generate`` for the whole text; nothing is streamed, so speech could only start
  after the last token (``first_sentence_s`` equals ``total_s``); nothing is kept between calls.
- **product** — :class:`lookaloud.core.pipeline.run.Pipeline` with the real
  :class:`BlipCaptioner`, :class:`RapidOcrReader` and :class:`LocalQwenWriter`, put together as
  :func:`lookaloud.core.assembly.models_for` does; ``first_sentence_s`` is the moment its first
  sentence event (what speech receives) arrives.
- **llamacpp-bf16 / -q8_0 / -q4_0** — the product with :class:`LlamaCppWriter` on the writer
  converted to that GGUF weight type by :mod:`lookaloud.core.runtime.gguf_convert`; the same
  script chooses the same tokens, so the figures compare the engines alone.
- **local_vlm-q8_0 / -q4_0** — the same on llama.cpp (:class:`LlamaCppVlmWriter`), the vision
  model converted to that weight type (its projector in f32) by ``convert_vision``.
- **local_vlm** — the pipeline with ``--backend local-vlm``: OCR, the first sentence from its
  text, then :class:`LocalVlmWriter` (Qwen3-VL) shown the picture at the standard budget; no
  captioner. The same script and length; ``vision_s`` is the vision tower's share, taken out of
  ``prefill_s``. Each run is a new picture to the model (its kept encodings are forgotten).
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from PIL import Image
from transformers import AutoModelForCausalLM, AutoProcessor, AutoTokenizer, LogitsProcessorList

from benchmarks.measure import MachineLoad, RunFigures
from benchmarks.script import ScriptRecorder, caption_recorder, writer_recorder
from lookaloud.core.perception.captioner import BlipCaptioner
from lookaloud.core.perception.ocr import RapidOcrReader, shared_rapidocr_engine
from lookaloud.core.perception.regions import region_crops
from lookaloud.core.pipeline.config import PipelineConfig
from lookaloud.core.pipeline.facts import Detail, Facts, RegionCaption, TextLine
from lookaloud.core.pipeline.load import downscale, image_kind
from lookaloud.core.pipeline.perceive import REGION_SOURCE_SIDE
from lookaloud.core.pipeline.prompt import build_messages
from lookaloud.core.pipeline.result import Event, Result, SentenceEvent
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.runtime.models import Models, ModelSlot
from lookaloud.core.session import Session
from lookaloud.core.writers.base import Writer
from lookaloud.core.writers.engines import vision_files
from lookaloud.core.writers.llamacpp import LlamaCppWriter
from lookaloud.core.writers.llamacpp_vlm import LlamaCppVlmWriter
from lookaloud.core.writers.local import DEFAULT_ATTENTION, LocalQwenWriter
from lookaloud.core.writers.local_vlm import LocalVlmWriter

LLAMACPP_PATHS = {f"llamacpp-{weights}": weights for weights in ("bf16", "q8_0", "q4_0")}
LLAMACPP_VLM_PATHS = {f"local_vlm-{weights}": weights for weights in ("q8_0", "q4_0")}
NEW_TOKENS = 100
CAPTION_TOKENS = 30  # what the pipeline asks BLIP for
DETAIL = Detail.STANDARD


@dataclass(frozen=True)
class ModelFolders:
    blip: str
    qwen: str
    scripted: bool  # random weights: script the tokens (see benchmarks.script)
    vlm: str = ""  # the Qwen3-VL folder, for the local_vlm path


class DescribePath(Protocol):
    def warm_up(self) -> None: ...

    def run(self) -> RunFigures: ...


def _writer_figures(recorder: ScriptRecorder, figures: RunFigures) -> None:
    """Prefill time and decode speed from the stamps of the writer's last generate call."""
    if not recorder.calls:
        return
    started, processor = recorder.calls[-1]
    stamps = processor.stamps
    figures.prefill_s = stamps[0] - started
    figures.new_tokens = len(stamps)
    if len(stamps) > 1:
        figures.decode_tok_s = (len(stamps) - 1) / (stamps[-1] - stamps[0])


@dataclass(frozen=True)
class Levers:
    """Product settings a lever experiment can switch back (``--set NAME=VALUE``).

    The defaults are the product's own; ``None`` means "as the product chooses" (bf16 where the
    CPU has it natively).
    """

    parallel_perception: bool = PipelineConfig.parallel_perception
    reuse_prefix: bool = True
    caption_dtype: str | None = None  # float32 or bfloat16
    writer_dtype: str | None = None
    writer_attention: str = DEFAULT_ATTENTION  # or transformers' own "sdpa" or "eager"
    native_decode_matmuls: bool = True

    @classmethod
    def parse(cls, pairs: Sequence[str]) -> Levers:
        values: dict[str, object] = {}
        for pair in pairs:
            name, _, raw = pair.partition("=")
            if name not in cls.__dataclass_fields__:
                raise SystemExit(f"unknown lever {name!r}; known: {list(cls.__dataclass_fields__)}")
            values[name] = _BOOLS.get(raw.lower(), raw)
        return cls(**values)  # type: ignore[arg-type]


_BOOLS = {"true": True, "on": True, "1": True, "false": False, "off": False, "0": False}


def _dtype(name: str | None) -> torch.dtype | None:
    return None if name is None else {"float32": torch.float32, "bfloat16": torch.bfloat16}[name]


class ProductPath:
    """The product's pipeline; with ``gguf``, its writer is the llama.cpp engine on that file."""

    def __init__(
        self,
        folders: ModelFolders,
        image: bytes,
        levers: Levers = Levers(),
        gguf: Path | None = None,
    ) -> None:
        self._image = image
        self.last_result: Result | None = None
        self.writer_script = _writer_recorder(folders, numpy=gguf is not None)
        self.caption_script = _caption_recorder(folders)
        self.captioner = BlipCaptioner(
            folders.blip,
            logits_processors=self.caption_script,
            dtype=_dtype(levers.caption_dtype),
        )
        self.writer: LocalQwenWriter | LlamaCppWriter = (
            _transformers_writer(folders, levers, self.writer_script)
            if gguf is None
            else LlamaCppWriter(gguf, logits_processors=self.writer_script)
        )
        config = replace(_config(), parallel_perception=levers.parallel_perception)
        self.pipeline = Pipeline(self._models(), config)

    def _models(self) -> Models:
        return Models(
            captioner=ModelSlot(lambda: self.captioner),
            reader=ModelSlot(RapidOcrReader),
            writer=ModelSlot(lambda: self.writer),
        )

    def warm_up(self) -> None:
        self.captioner.load()
        self.writer.load()
        shared_rapidocr_engine()
        self.run()

    def run(self) -> RunFigures:
        self.writer_script.reset()
        self.pipeline.hold_system_turn()  # as a new picture finds the writer
        first = _FirstSentence()
        load = MachineLoad()
        load.start()
        began = time.perf_counter()
        result = self.pipeline.run(self._image, name="benchmark.png", on_event=first.see)
        figures = RunFigures(total_s=time.perf_counter() - began)
        figures.others_cpu_share = load.stop()
        figures.first_sentence_s = (first.at or time.perf_counter()) - began
        figures.caption_s = result.timings_ms.get("caption", 0) / 1000
        figures.ocr_s = result.timings_ms.get("ocr", 0) / 1000
        figures.prompt_tokens = self._prompt_tokens(result.facts)
        _writer_figures(self.writer_script, figures)
        figures.notes = _result_notes(result)
        self.last_result = result
        return figures

    def _prompt_tokens(self, facts: Facts | None) -> int:
        if facts is None:
            return 0
        prompt = self.writer.build_prompt(build_messages(facts, "en", DETAIL, simple=False))
        if isinstance(self.writer, LlamaCppWriter):
            return len(self.writer.load().tokenize(prompt.encode("utf-8"), False, True))
        return len(self.writer.load().tokenizer(prompt)["input_ids"])

    def writer_weights_gb(self) -> float:
        """What one decoding step reads: every weight once (a tied embedding counts once, as
        the output layer reads all of it); a GGUF file is its weights and a small header."""
        if isinstance(self.writer, LlamaCppWriter):
            return round(self.writer.model_file.stat().st_size / 1e9, 6)
        model = self.writer.load().model
        total: int = sum(p.numel() * p.element_size() for p in model.parameters())
        return round(total / 1e9, 6)


class LocalVlmPath:
    """The pipeline as ``--backend local-vlm`` builds it, with the writer's tokens scripted."""

    def __init__(self, folders: ModelFolders, image: bytes) -> None:
        self._image = image
        self.last_result: Result | None = None
        self.writer_script = _vlm_recorder(folders)
        self.writer = LocalVlmWriter(folders.vlm, logits_processors=self.writer_script)
        self.pipeline = _vision_pipeline(lambda: self.writer)

    def warm_up(self) -> None:
        self.writer.load()
        shared_rapidocr_engine()
        self.run()

    def run(self) -> RunFigures:
        self.writer_script.reset()
        loaded = self.writer.load()
        loaded.seen.clear()  # a picture it has not seen: looking at it is measured too
        # Nor the state kept after the last run's answer, which holds this very picture.
        loaded.conversation.kept = None
        first, vision = _FirstSentence(), _Stopwatch()
        load = MachineLoad()
        load.start()
        began = time.perf_counter()
        with vision.timing(loaded.model.model.visual):
            result = self.pipeline.run(self._image, name="benchmark.png", on_event=first.see)
        figures = RunFigures(total_s=time.perf_counter() - began)
        figures.others_cpu_share = load.stop()
        figures.first_sentence_s = (first.at or time.perf_counter()) - began
        figures.ocr_s = result.timings_ms.get("ocr", 0) / 1000
        _writer_figures(self.writer_script, figures)
        figures.vision_s = vision.seconds
        figures.prefill_s = max(0.0, figures.prefill_s - vision.seconds)  # the text model's part
        figures.prompt_tokens = self._prompt_tokens()
        figures.notes = _result_notes(result)
        figures.followup_first_sentence_s = self._follow_up(result, vision, figures.notes)
        self.last_result = result
        return figures

    def _follow_up(self, result: Result, vision: _Stopwatch, notes: list[str]) -> float:
        """Seconds from a question about the picture to its answer's first sentence. The
        picture is not looked at again (a note says so if it was)."""
        session = Session.from_result(result, "en")
        if session is None:
            return 0.0
        first = _FirstSentence()
        self.writer_script.reset()
        began = time.perf_counter()
        with vision.timing(self.writer.load().model.model.visual), self.writer_script.answering():
            answer = session.ask("What does the dialog ask?", self.writer, on_event=first.see)
        if answer.fallback or answer.attempts != 1:
            notes.append(f"the follow-up was not one clean attempt: rejected={answer.rejected}")
        if vision.seconds:
            notes.append(f"the follow-up looked at the picture again ({vision.seconds:.2f} s)")
        return (first.at or time.perf_counter()) - began

    def _prompt_tokens(self) -> int:
        """Every token the text model read, the picture's included (as the script saw them)."""
        if not self.writer_script.calls:
            return 0
        processor = self.writer_script.calls[-1][1]
        return getattr(processor, "prompt_length", None) or 0

    def writer_weights_gb(self) -> float:
        """What one decoding step reads: the text model's weights (the vision tower runs once
        per picture, not per token)."""
        model = self.writer.load().model
        total: int = sum(
            p.numel() * p.element_size()
            for name, p in model.named_parameters()
            if not name.startswith("model.visual.")
        )
        return round(total / 1e9, 6)


class LlamaCppVlmPath:
    """:class:`LocalVlmPath` with the vision model on llama.cpp, from its GGUF pair."""

    def __init__(self, folders: ModelFolders, image: bytes, gguf: Path) -> None:
        files = vision_files(str(gguf))
        if files is None:
            raise SystemExit(f"no vision projector beside {gguf}")
        self._image = image
        self.writer_script = _vlm_recorder(folders, numpy=True)
        self.writer = LlamaCppVlmWriter(files, logits_processors=self.writer_script)
        self.pipeline = _vision_pipeline(lambda: self.writer)

    def warm_up(self) -> None:
        self.writer.load()
        shared_rapidocr_engine()
        self.run()

    def run(self) -> RunFigures:
        self.writer_script.reset()
        # A picture it has not seen, and nothing held from the last answer: only the system
        # turn, which the app reads while it warms up and every description shares.
        self.pipeline.hold_system_turn()
        loaded = self.writer.load()
        loaded.encodings.clear()
        mtmd = loaded.mtmd
        looked, read = mtmd.encoding_seconds, mtmd.prompt_tokens_read + mtmd.picture_tokens_read
        first = _FirstSentence()
        load = MachineLoad()
        load.start()
        began = time.perf_counter()
        result = self.pipeline.run(self._image, name="benchmark.png", on_event=first.see)
        figures = RunFigures(total_s=time.perf_counter() - began)
        figures.others_cpu_share = load.stop()
        figures.first_sentence_s = (first.at or time.perf_counter()) - began
        figures.ocr_s = result.timings_ms.get("ocr", 0) / 1000
        _writer_figures(self.writer_script, figures)
        figures.vision_s = mtmd.encoding_seconds - looked
        figures.prefill_s = max(0.0, figures.prefill_s - figures.vision_s)
        # Every token the language model read as prompt, the picture's included.
        figures.prompt_tokens = mtmd.prompt_tokens_read + mtmd.picture_tokens_read - read
        figures.notes = _result_notes(result)
        figures.followup_first_sentence_s = self._follow_up(result, figures.notes)
        return figures

    def _follow_up(self, result: Result, notes: list[str]) -> float:
        session = Session.from_result(result, "en")
        if session is None:
            return 0.0
        mtmd = self.writer.load().mtmd
        looked = mtmd.encoded_pictures
        first = _FirstSentence()
        self.writer_script.reset()
        began = time.perf_counter()
        with self.writer_script.answering():
            answer = session.ask("What does the dialog ask?", self.writer, on_event=first.see)
        at = (first.at or time.perf_counter()) - began
        if answer.fallback or answer.attempts != 1:
            notes.append(f"the follow-up was not one clean attempt: rejected={answer.rejected}")
        if mtmd.encoded_pictures != looked:
            notes.append("the follow-up looked at the picture again")
        return at

    def writer_weights_gb(self) -> float:
        """What one decoding step reads: the language model's file (not the projector)."""
        return round(self.writer.files.text.stat().st_size / 1e9, 6)


def _vision_pipeline(writer: Callable[[], Writer]) -> Pipeline:
    """The pipeline as ``--backend local-vlm`` builds it: OCR and the vision writer only."""
    models = Models(
        captioner=None,
        reader=ModelSlot(RapidOcrReader),
        writer=ModelSlot(writer),
        backend="local-vlm",
    )
    return Pipeline(models, _config())


class _Stopwatch:
    """The time a module's forward passes took, summed."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextmanager
    def timing(self, module: torch.nn.Module) -> Iterator[None]:
        self.seconds = 0.0
        started: list[float] = []

        def before(*args: Any) -> None:
            started.append(time.perf_counter())

        def after(*args: Any) -> None:
            self.seconds += time.perf_counter() - started.pop()

        handles = [module.register_forward_pre_hook(before), module.register_forward_hook(after)]
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()


def _transformers_writer(
    folders: ModelFolders, levers: Levers, script: ScriptRecorder
) -> LocalQwenWriter:
    return LocalQwenWriter(
        folders.qwen,
        logits_processors=script,
        reuse_prefix=levers.reuse_prefix,
        dtype=_dtype(levers.writer_dtype),
        attention=levers.writer_attention,
        native_decode_matmuls=levers.native_decode_matmuls,
    )


class _FirstSentence:
    """Notes when the first sentence event — what speech is handed — arrives."""

    def __init__(self) -> None:
        self.at: float | None = None

    def see(self, event: Event) -> None:
        if isinstance(event, SentenceEvent) and self.at is None:
            self.at = time.perf_counter()


def _result_notes(result: Result) -> list[str]:
    notes = []
    if not result.ok or result.fallback or result.attempts != 1:
        notes.append(
            f"not one clean attempt: ok={result.ok} fallback={result.fallback} "
            f"attempts={result.attempts} rejected={list(result.rejected)}"
        )
    return notes


def _config() -> PipelineConfig:
    # One attempt is what is measured; quality checks still run (and cost their time), but the
    # random captioner's words would lower the coverage score and trigger retries by chance.
    return PipelineConfig(
        lang="en",
        detail=DETAIL,
        max_new_tokens=NEW_TOKENS,
        min_quality=0.0,
        seed=0,
        first_sentence_from_facts=True,  # as the settings have it
    )


class BaselinePath:
    """The tutorials' way, written out in full: load, call each model in turn, decode at the end."""

    def __init__(self, folders: ModelFolders, image: bytes) -> None:
        self._image = image
        self._folders = folders
        self.writer_script = _writer_recorder(folders)
        self.caption_script = _caption_recorder(folders)

    def warm_up(self) -> None:
        torch_dtype = torch.float32
        self._processor = AutoProcessor.from_pretrained(self._folders.blip)  # type: ignore[no-untyped-call]
        self._blip = _blip_model(self._folders.blip, torch_dtype)
        self._tokenizer = AutoTokenizer.from_pretrained(self._folders.qwen)
        self._qwen: Any = AutoModelForCausalLM.from_pretrained(
            self._folders.qwen, dtype=torch_dtype
        )
        self._ocr = shared_rapidocr_engine("onnxruntime")  # the tutorial's runtime
        self.run()

    def run(self) -> RunFigures:
        self.writer_script.reset()
        load = MachineLoad()
        load.start()
        began = time.perf_counter()
        image = Image.open(io.BytesIO(self._image)).convert("RGB")
        figures = RunFigures()
        lines = self._ocr_lines(image, figures)
        caption, regions = self._captions(image, figures)
        facts = Facts(image.width, image.height, image_kind(image), caption, regions, tuple(lines))
        self._write(facts, figures)
        figures.total_s = figures.first_sentence_s = time.perf_counter() - began
        figures.others_cpu_share = load.stop()
        _writer_figures(self.writer_script, figures)
        return figures

    def _ocr_lines(self, image: Image.Image, figures: RunFigures) -> list[TextLine]:
        began = time.perf_counter()
        raw, _ = self._ocr(np.asarray(image))
        figures.ocr_s = time.perf_counter() - began
        return [_text_line(item) for item in raw or []]

    def _captions(
        self, image: Image.Image, figures: RunFigures
    ) -> tuple[str, tuple[RegionCaption, ...]]:
        began = time.perf_counter()
        crops = region_crops(downscale(image, REGION_SOURCE_SIDE), DETAIL)
        inputs = self._processor(images=[image] + [crop for _, crop in crops], return_tensors="pt")
        with torch.inference_mode():
            tokens = self._blip.generate(
                **inputs,
                max_new_tokens=CAPTION_TOKENS,
                logits_processor=LogitsProcessorList(self.caption_script()),
            )
        texts = self._processor.batch_decode(tokens, skip_special_tokens=True)
        figures.caption_s = time.perf_counter() - began
        regions = tuple(
            RegionCaption(pos, text) for (pos, _), text in zip(crops, texts[1:], strict=True)
        )
        return texts[0], regions

    def _write(self, facts: Facts, figures: RunFigures) -> str:
        messages = build_messages(facts, "en", DETAIL, simple=False)
        chat = [{"role": m.role, "content": m.content} for m in messages]
        prompt = self._tokenizer.apply_chat_template(
            chat, tokenize=False, add_generation_prompt=True, enable_thinking=False
        )
        inputs = self._tokenizer(prompt, return_tensors="pt")
        figures.prompt_tokens = int(inputs["input_ids"].shape[1])
        with torch.inference_mode():
            output = self._qwen.generate(
                **inputs,
                max_new_tokens=NEW_TOKENS,
                do_sample=True,
                temperature=0.7,
                top_p=0.8,
                top_k=20,
                logits_processor=LogitsProcessorList(self.writer_script()),
            )
        new = output[0, inputs["input_ids"].shape[1] :]
        return str(self._tokenizer.decode(new, skip_special_tokens=True))


def _blip_model(folder: str, dtype: torch.dtype) -> Any:
    from transformers import BlipForConditionalGeneration

    return BlipForConditionalGeneration.from_pretrained(folder, dtype=dtype)


def _text_line(item: Any) -> TextLine:
    from lookaloud.core.pipeline.facts import Box

    xs = [float(point[0]) for point in item[0]]
    ys = [float(point[1]) for point in item[0]]
    return TextLine(str(item[1]), Box(min(xs), min(ys), max(xs), max(ys)), float(item[2]))


def _writer_recorder(folders: ModelFolders, *, numpy: bool = False) -> ScriptRecorder:
    """The writer's script; the GGUF files keep the folder's vocabulary, so its ids serve both
    engines."""
    if not folders.scripted:
        return ScriptRecorder([], 0, numpy=numpy)
    tokenizer = AutoTokenizer.from_pretrained(folders.qwen)
    end: int = tokenizer.convert_tokens_to_ids("<|im_end|>")  # type: ignore[assignment]
    encode = lambda text: tokenizer.encode(text, add_special_tokens=False)  # noqa: E731
    return writer_recorder(encode, end, numpy=numpy)


def _vlm_recorder(folders: ModelFolders, *, numpy: bool = False) -> ScriptRecorder:
    """The writer's script in the vision model's vocabulary (its tokenizer is trained apart)."""
    if not folders.scripted:
        return ScriptRecorder([], 0, numpy=numpy)
    tokenizer = AutoTokenizer.from_pretrained(folders.vlm)
    end: int = tokenizer.convert_tokens_to_ids("<|im_end|>")  # type: ignore[assignment]
    encode = lambda text: tokenizer.encode(text, add_special_tokens=False)  # noqa: E731
    return writer_recorder(encode, end, numpy=numpy, answers=True)


def _caption_recorder(folders: ModelFolders) -> ScriptRecorder:
    if not folders.scripted:
        return ScriptRecorder([], 0)
    processor = AutoProcessor.from_pretrained(folders.blip)  # type: ignore[no-untyped-call]
    tokenizer = processor.tokenizer
    return caption_recorder(
        lambda text: tokenizer.encode(text, add_special_tokens=False), tokenizer.sep_token_id
    )
