"""The local vision-language writer on a tiny random Qwen3-VL: it sees the picture, looks at
each picture once, streams, stops within 200 ms, and says plainly when its model is missing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw
from transformers import Qwen2VLImageProcessorPil

from helpers.vlm_probes import PromptReads
from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled, ModelLoadFailed, ModelMissing, WriterError
from lookaloud.core.pipeline.facts import Detail
from lookaloud.core.runtime.compute import compute_thread
from lookaloud.core.runtime.hub import HubAccess
from lookaloud.core.writers.base import ChatMessage, GenerationParams, ImagePart, ImageWriter
from lookaloud.core.writers.local_vlm import (
    PIXEL_BUDGETS,
    TOKEN_SIDE_PX,
    LocalVlmWriter,
    budgeted_size,
)

OFFLINE = HubAccess(offline=True, endpoint="http://127.0.0.1:9")
GREEDY = GenerationParams(max_new_tokens=16, temperature=0.0)
SYSTEM = ChatMessage("system", "You describe images for blind readers.")


@pytest.fixture
def writer(tiny_qwen3_vl_dir: Path) -> LocalVlmWriter:
    return LocalVlmWriter(str(tiny_qwen3_vl_dir), hub=OFFLINE)


def photo(seed: int, size: tuple[int, int] = (96, 64)) -> Image.Image:
    """Random colours no other test uses, so the writer has never seen this picture."""
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def screenshot(size: tuple[int, int] = (1280, 800)) -> Image.Image:
    shot = Image.new("RGB", size, "white")
    ImageDraw.Draw(shot).rectangle((100, 100, 500, 300), fill="lightgrey", outline="black")
    return shot


def asking(part: ImagePart, question: str = "Describe the picture.") -> list[ChatMessage]:
    return [SYSTEM, ChatMessage("user", question, (part,))]


def write(writer: LocalVlmWriter, messages: list[ChatMessage], params: GenerationParams) -> str:
    return "".join(writer.stream(messages, params, CancelToken()))


class VisionCalls:
    """Counts the vision tower's forward passes while the block runs."""

    def __init__(self, writer: LocalVlmWriter) -> None:
        self.count = 0
        self._visual = writer.load().model.model.visual

    def __enter__(self) -> VisionCalls:
        self._handle = self._visual.register_forward_hook(self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.remove()

    def _seen(self, *args: object) -> None:
        self.count += 1


def model_still_writing() -> bool:
    try:
        compute_thread().submit(lambda: None).result(timeout=3)
    except TimeoutError:
        return True
    return False


def test_identity_and_it_sees_images(writer: LocalVlmWriter, tiny_qwen3_vl_dir: Path) -> None:
    assert writer.backend == "local-vlm"
    assert writer.model_name == str(tiny_qwen3_vl_dir)
    assert isinstance(writer, ImageWriter)


def test_it_loads_without_torchvision(writer: LocalVlmWriter) -> None:
    loaded = writer.load()
    assert isinstance(loaded.image_processor, Qwen2VLImageProcessorPil)
    assert type(loaded.model).__name__ == "Qwen3VLForConditionalGeneration"
    assert writer.load() is loaded  # loaded once


def test_prompt_has_one_placeholder_per_picture_and_thinking_off(writer: LocalVlmWriter) -> None:
    part = writer.prepare_image(photo(1))
    prompt = writer.build_prompt(asking(part))
    assert prompt.startswith("<|im_start|>system\nYou describe images for blind readers.")
    assert "<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Describe" in prompt
    assert prompt.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


@pytest.mark.parametrize(
    ("size", "budget"),
    [((1280, 800), 512 * 512), ((1280, 6000), 512 * 512), ((4000, 3000), 320 * 320)],
)
def test_budgeted_size_keeps_the_shape_in_whole_tokens(size: tuple[int, int], budget: int) -> None:
    width, height = budgeted_size(*size, budget)
    assert width % TOKEN_SIDE_PX == 0 and height % TOKEN_SIDE_PX == 0
    assert width * height <= budget
    assert width * height > budget * 0.8  # not needlessly small
    assert abs(width / height - size[0] / size[1]) < 0.12 * size[0] / size[1]


def test_small_pictures_are_not_enlarged() -> None:
    assert budgeted_size(40, 20, 512 * 512) == (32, 32)
    assert budgeted_size(200, 100, 512 * 512) == (192, 96)


def test_screenshots_get_more_pixels_than_photos_and_detail_more_than_brief(
    writer: LocalVlmWriter,
) -> None:
    shot = screenshot()
    sizes = {d: writer.prepare_image(shot, d) for d in Detail}
    areas = [
        sizes[d].width * sizes[d].height for d in (Detail.BRIEF, Detail.STANDARD, Detail.DETAILED)
    ]
    assert areas == sorted(areas) and len(set(areas)) == 3
    assert areas[1] <= 512 * 512 and sizes[Detail.STANDARD].mime_type == "image/png"
    big_photo = photo(2, (1280, 800))
    assert writer.prepare_image(big_photo).width < sizes[Detail.STANDARD].width
    for kind_and_detail, budget in PIXEL_BUDGETS.items():
        assert budget % TOKEN_SIDE_PX**2 == 0, kind_and_detail


def test_two_pictures_give_two_different_greedy_answers(writer: LocalVlmWriter) -> None:
    first = write(writer, asking(writer.prepare_image(photo(3))), GREEDY)
    second = write(writer, asking(writer.prepare_image(photo(4))), GREEDY)
    again = write(writer, asking(writer.prepare_image(photo(3))), GREEDY)
    assert first and second
    assert first != second  # the model really looks at the picture
    assert again == first  # and a kept encoding reads the same as a fresh one


def test_each_picture_is_looked_at_once(writer: LocalVlmWriter) -> None:
    part = writer.prepare_image(photo(5))
    with VisionCalls(writer) as vision:
        write(writer, asking(part), GREEDY)
        write(writer, asking(part, "What colour is it?"), GREEDY)
        write(writer, asking(part, "Is there text?"), GREEDY)
        assert vision.count == 1
        write(writer, asking(writer.prepare_image(photo(6))), GREEDY)
    assert vision.count == 2


def forget_the_conversation(writer: LocalVlmWriter) -> None:
    writer.load().conversation.kept = None


def continued(chat: list[ChatMessage], answer: str, question: str) -> list[ChatMessage]:
    return [*chat, ChatMessage("assistant", answer), ChatMessage("user", question)]


def test_a_follow_up_reads_only_its_new_tokens_and_writes_what_a_fresh_read_writes(
    writer: LocalVlmWriter,
) -> None:
    chat = asking(writer.prepare_image(photo(31, (192, 128))))
    answer = write(writer, chat, GREEDY)
    follow_up = continued(chat, answer, "What colour is it?")
    with VisionCalls(writer) as vision, PromptReads(writer) as carried_on:
        from_kept = write(writer, follow_up, GREEDY)
    assert vision.count == 0  # not looked at again
    forget_the_conversation(writer)
    with PromptReads(writer) as anew:
        from_scratch = write(writer, follow_up, GREEDY)
    assert from_kept and from_kept == from_scratch
    kept = writer.load().conversation.kept
    assert kept is not None
    picture_tokens = kept.ids.count(writer.load().model.config.image_token_id)
    assert picture_tokens == 24  # 192×128 pixels in 32-pixel tokens
    # The picture and everything before it came from the kept cache.
    assert carried_on.lengths[0] < anew.lengths[0] - picture_tokens


def test_a_second_follow_up_carries_on_from_the_first(writer: LocalVlmWriter) -> None:
    chat = asking(writer.prepare_image(photo(32)))
    first = continued(chat, write(writer, chat, GREEDY), "What colour is it?")
    second = continued(first, write(writer, first, GREEDY), "Is there text?")
    with PromptReads(writer) as carried_on:
        from_kept = write(writer, second, GREEDY)
    forget_the_conversation(writer)
    with PromptReads(writer) as anew:
        assert write(writer, second, GREEDY) == from_kept
    assert carried_on.lengths[0] < anew.lengths[0] // 2


def test_a_chat_about_another_picture_is_read_anew(writer: LocalVlmWriter) -> None:
    chat = asking(writer.prepare_image(photo(33)))
    answer = write(writer, chat, GREEDY)
    # The same words and the same size of picture give the same tokens: only the picture differs.
    other = continued(asking(writer.prepare_image(photo(34))), answer, "What colour is it?")
    with VisionCalls(writer) as vision:
        about_other = write(writer, other, GREEDY)
    assert vision.count == 1
    forget_the_conversation(writer)
    assert write(writer, other, GREEDY) == about_other


def test_a_cancelled_answer_leaves_nothing_half_kept(writer: LocalVlmWriter) -> None:
    chat = asking(writer.prepare_image(photo(35)))
    follow_up = continued(chat, write(writer, chat, GREEDY), "What colour is it?")
    cancel = CancelToken()
    pieces = writer.stream(
        follow_up, GenerationParams(max_new_tokens=4000, temperature=0.0), cancel
    )
    assert next(pieces)
    cancel.cancel()
    with pytest.raises(Cancelled):
        list(pieces)
    assert writer.load().conversation.kept is None
    again = write(writer, follow_up, GREEDY)
    forget_the_conversation(writer)
    assert write(writer, follow_up, GREEDY) == again


def test_several_pictures_in_one_chat(writer: LocalVlmWriter) -> None:
    parts = (writer.prepare_image(photo(7)), writer.prepare_image(photo(8, (64, 64))))
    messages = [SYSTEM, ChatMessage("user", "Compare them.", parts)]
    assert write(writer, messages, GREEDY)


def test_a_chat_without_a_picture_is_answered_too(writer: LocalVlmWriter) -> None:
    assert write(writer, [SYSTEM, ChatMessage("user", "Say hello.")], GREEDY)


def test_cancel_mid_generation_stops_within_200_ms(writer: LocalVlmWriter) -> None:
    cancel = CancelToken()
    params = GenerationParams(max_new_tokens=4000, temperature=0.0)
    pieces = writer.stream(asking(writer.prepare_image(photo(9))), params, cancel)
    assert next(pieces)
    began = time.perf_counter()
    cancel.cancel()
    with pytest.raises(Cancelled):
        list(pieces)
    assert time.perf_counter() - began < 0.2
    assert not model_still_writing()


def test_cancel_while_looking_stops_before_any_word(writer: LocalVlmWriter) -> None:
    cancel = CancelToken()
    visual = writer.load().model.model.visual
    handle = visual.blocks[0].register_forward_hook(lambda *args: cancel.cancel())
    try:
        with pytest.raises(Cancelled):
            list(writer.stream(asking(writer.prepare_image(photo(10))), GREEDY, cancel))
    finally:
        handle.remove()
    assert not model_still_writing()


def test_cancel_while_reading_the_prompt_stops_before_any_word(writer: LocalVlmWriter) -> None:
    cancel = CancelToken()
    first_layer = writer.load().model.model.language_model.layers[0]
    handle = first_layer.register_forward_hook(lambda *args: cancel.cancel())
    try:
        with pytest.raises(Cancelled):
            list(writer.stream(asking(writer.prepare_image(photo(15))), GREEDY, cancel))
    finally:
        handle.remove()
    assert not model_still_writing()


def test_the_model_sees_the_picture_at_the_size_prepared(writer: LocalVlmWriter) -> None:
    """The processor must not resize again: one visual token per 32×32 pixels prepared."""
    part = writer.prepare_image(screenshot((1000, 700)))
    seen = writer.load().looked_at(part)
    assert seen.grid_thw.tolist() == [[1, part.height // 16, part.width // 16]]
    tokens = part.width * part.height // TOKEN_SIDE_PX**2
    assert seen.encoded.pooler_output[0].shape[0] == tokens


def test_an_abandoned_stream_stops_the_model(writer: LocalVlmWriter) -> None:
    params = GenerationParams(max_new_tokens=4000, temperature=0.0)
    pieces: Iterator[str] = writer.stream(
        asking(writer.prepare_image(photo(11))), params, CancelToken()
    )
    assert next(pieces)
    pieces.close()  # type: ignore[attr-defined]
    assert not model_still_writing()


def test_a_failure_inside_generate_reaches_the_reader(
    writer: LocalVlmWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = writer.load().model

    def broken(**kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(model, "generate", broken)
    with pytest.raises(WriterError, match="failed while describing"):
        write(writer, asking(writer.prepare_image(photo(12))), GREEDY)


def test_a_missing_model_names_it_and_the_command(tmp_path: Path) -> None:
    writer = LocalVlmWriter(
        "Qwen/Qwen3-VL-2B-Instruct", hub=HubAccess(offline=True, cache_dir=tmp_path)
    )
    with pytest.raises(ModelMissing) as missing:
        writer.load()
    message = missing.value.message
    assert "vision-language model Qwen/Qwen3-VL-2B-Instruct" in message
    assert "`lookaloud models pull --backend local-vlm`" in message
    assert "about 4.3 GB" in message and "--vlm-model" in message


def test_a_text_only_model_is_refused_with_a_sentence(tiny_qwen_dir: Path) -> None:
    with pytest.raises(ModelLoadFailed, match="--vlm-model"):
        LocalVlmWriter(str(tiny_qwen_dir), hub=OFFLINE).load()


def test_the_template_may_live_in_the_processor_file(
    tiny_qwen3_vl_dir: Path, tmp_path: Path
) -> None:
    """Some checkpoints keep the chat template in chat_template.json, the processor's file."""
    import json
    import shutil

    folder = shutil.copytree(tiny_qwen3_vl_dir, tmp_path / "vlm")
    template = (folder / "chat_template.jinja").read_text(encoding="utf-8")
    (folder / "chat_template.jinja").unlink()
    (folder / "chat_template.json").write_text(json.dumps({"chat_template": template}))
    writer = LocalVlmWriter(str(folder), hub=OFFLINE, dtype=torch.float32)
    assert writer.build_prompt(asking(writer.prepare_image(photo(13)))).endswith("\n\n")


def test_loading_is_shared_between_writers_of_one_folder(tiny_qwen3_vl_dir: Path) -> None:
    first = LocalVlmWriter(str(tiny_qwen3_vl_dir), hub=OFFLINE).load()
    second = LocalVlmWriter(str(tiny_qwen3_vl_dir), hub=OFFLINE).load()
    assert first is second


def test_the_writer_works_from_another_thread(writer: LocalVlmWriter) -> None:
    """The desktop app's worker thread is not the main thread; the model runs on the compute
    thread either way."""
    out: list[str] = []
    part = writer.prepare_image(photo(14))
    thread = threading.Thread(target=lambda: out.append(write(writer, asking(part), GREEDY)))
    thread.start()
    thread.join(timeout=30)
    assert out and out[0]
