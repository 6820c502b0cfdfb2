"""The local vision model on llama.cpp, with the tiny random Qwen3-VL converted to its GGUF pair:
it writes the very words the transformers engine writes, sees the picture, looks at a picture
once, reads only a follow-up's new tokens, and stops within 200 ms."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled, ModelLoadFailed
from lookaloud.core.runtime.compute import compute_thread
from lookaloud.core.runtime.gguf_convert import VisionModelFiles
from lookaloud.core.writers.base import ChatMessage, GenerationParams, ImagePart, ImageWriter
from lookaloud.core.writers.engines import vision_files
from lookaloud.core.writers.llamacpp_vlm import LlamaCppVlmWriter, choose_token
from lookaloud.core.writers.local_vlm import LocalVlmWriter
from lookaloud.core.writers.vision_input import picture_key

pytest.importorskip("llama_cpp", reason="the llama.cpp engine is not installed")
pytest.importorskip("gguf", reason="the gguf library is not installed")

GREEDY = GenerationParams(max_new_tokens=16, temperature=0.0)
SYSTEM = ChatMessage("system", "You describe images for blind readers.")


@pytest.fixture(scope="module")
def exact_files(tiny_qwen3_vl_gguf_dir: Path) -> VisionModelFiles:
    files = vision_files(str(tiny_qwen3_vl_gguf_dir))
    assert files is not None
    return files


@pytest.fixture(scope="module")
def writer(exact_files: VisionModelFiles) -> LlamaCppVlmWriter:
    return LlamaCppVlmWriter(exact_files)


def photo(seed: int, size: tuple[int, int] = (96, 64)) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    return Image.fromarray(pixels)


def asking(part: ImagePart, question: str = "Describe the picture.") -> list[ChatMessage]:
    return [SYSTEM, ChatMessage("user", question, (part,))]


def continued(chat: list[ChatMessage], answer: str, question: str) -> list[ChatMessage]:
    return [*chat, ChatMessage("assistant", answer), ChatMessage("user", question)]


def write(writer: LlamaCppVlmWriter | LocalVlmWriter, messages: list[ChatMessage]) -> str:
    return "".join(writer.stream(messages, GREEDY, CancelToken()))


def forget_everything(writer: LlamaCppVlmWriter) -> None:
    loaded = writer.load()
    loaded.forget()
    loaded.encodings.clear()


def test_identity(writer: LlamaCppVlmWriter, exact_files: VisionModelFiles) -> None:
    assert writer.backend == "local-vlm"  # what the JSON says
    assert writer.engine == "llamacpp"
    assert writer.model_name == exact_files.text.name
    assert isinstance(writer, ImageWriter)


def test_the_prompt_has_mtmd_s_marker_where_the_picture_goes(writer: LlamaCppVlmWriter) -> None:
    prompt = writer.build_prompt(asking(writer.prepare_image(photo(1))))
    assert "<|im_start|>user\n<__media__>Describe the picture.<|im_end|>" in prompt
    assert prompt.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


def test_it_writes_the_words_transformers_writes_and_sees_the_picture(
    writer: LlamaCppVlmWriter, tiny_qwen3_vl_dir: Path
) -> None:
    reference = LocalVlmWriter(str(tiny_qwen3_vl_dir))
    chats = [asking(writer.prepare_image(photo(seed))) for seed in (3, 4)]
    written = [write(writer, chat) for chat in chats]
    assert written == [write(reference, chat) for chat in chats]
    assert written[0] != written[1]  # two pictures, two answers


def test_a_follow_up_reads_only_its_question_and_does_not_look_again(
    writer: LlamaCppVlmWriter,
) -> None:
    chat = asking(writer.prepare_image(photo(31, (192, 128))))
    mtmd = writer.load().mtmd
    forget_everything(writer)
    read = mtmd.prompt_tokens_read
    follow_up = continued(chat, write(writer, chat), "What colour is it?")
    first = mtmd.prompt_tokens_read - read
    looked, read = mtmd.encoded_pictures, mtmd.prompt_tokens_read
    from_kept = write(writer, follow_up)
    assert mtmd.encoded_pictures == looked
    carried_on = mtmd.prompt_tokens_read - read
    forget_everything(writer)
    read = mtmd.prompt_tokens_read
    assert write(writer, follow_up) == from_kept  # the same words as reading it all anew
    anew = mtmd.prompt_tokens_read - read
    assert mtmd.encoded_pictures == looked + 1
    # The system turn, the picture and the first question were held: all of the first
    # prompt but its closing "<think>\n\n</think>\n\n", which the template leaves out of an
    # answer in the history.
    assert carried_on <= anew - first + 6


def test_the_system_turn_held_ahead_is_not_read_again_and_the_words_stay_the_same(
    writer: LlamaCppVlmWriter,
) -> None:
    chat = asking(writer.prepare_image(photo(35)))
    mtmd = writer.load().mtmd
    forget_everything(writer)
    read = mtmd.prompt_tokens_read
    cold = write(writer, chat)
    all_of_it = mtmd.prompt_tokens_read - read
    writer.hold_system_turn(SYSTEM)  # forgets the picture and the answer, keeps the system turn
    held = len(writer.load().held)
    chunks = mtmd.tokenize(writer.build_prompt([SYSTEM, ChatMessage("user", "")]), [])
    assert 0 < held < len(chunks.items[0].tokens)  # the system turn, not the user's
    chunks.close()
    read = mtmd.prompt_tokens_read
    assert write(writer, chat) == cold
    assert mtmd.prompt_tokens_read - read == all_of_it - held
    forget_everything(writer)
    read = mtmd.prompt_tokens_read
    writer.hold_system_turn(SYSTEM)
    assert mtmd.prompt_tokens_read - read == held  # from nothing, it is read once


def test_a_retry_with_another_prompt_keeps_the_picture_s_encoding(
    writer: LlamaCppVlmWriter,
) -> None:
    part = writer.prepare_image(photo(32))
    mtmd = writer.load().mtmd
    looked = mtmd.encoded_pictures
    write(writer, asking(part))
    simpler = [ChatMessage("system", "Say what is in the picture."), asking(part)[1]]
    write(writer, simpler)
    assert mtmd.encoded_pictures == looked + 1


def test_another_picture_is_looked_at_and_read_anew(writer: LlamaCppVlmWriter) -> None:
    answer = write(writer, asking(writer.prepare_image(photo(33))))
    other = continued(asking(writer.prepare_image(photo(34))), answer, "What colour is it?")
    looked = writer.load().mtmd.encoded_pictures
    about_other = write(writer, other)
    assert writer.load().mtmd.encoded_pictures == looked + 1
    forget_everything(writer)
    assert write(writer, other) == about_other


def test_several_pictures_and_none(writer: LlamaCppVlmWriter) -> None:
    parts = (writer.prepare_image(photo(7)), writer.prepare_image(photo(8, (64, 64))))
    assert write(writer, [SYSTEM, ChatMessage("user", "Compare them.", parts)])
    assert write(writer, [SYSTEM, ChatMessage("user", "Say hello.")])


def test_cancel_while_writing_stops_within_200_ms(writer: LlamaCppVlmWriter) -> None:
    cancel = CancelToken()
    params = GenerationParams(max_new_tokens=4000, temperature=0.0)
    pieces = writer.stream(asking(writer.prepare_image(photo(9))), params, cancel)
    assert next(pieces)
    began = time.perf_counter()
    cancel.cancel()
    with pytest.raises(Cancelled):
        list(pieces)
    assert time.perf_counter() - began < 0.2
    assert compute_thread().submit(lambda: True).result(timeout=3)


class CancelledWhileLooking(CancelToken):
    """Cancelled the moment the vision tower's graph checks it (between its nodes)."""

    def __init__(self, writer: LlamaCppVlmWriter) -> None:
        super().__init__()
        self._mtmd = writer.load().mtmd

    @property
    def cancelled(self) -> bool:
        if self._mtmd.encoding:
            self.cancel()
        return super().cancelled


def test_cancel_while_looking_stops_the_vision_tower_and_keeps_nothing_half_made(
    writer: LlamaCppVlmWriter,
) -> None:
    part = writer.prepare_image(photo(10))
    written: list[str] = []
    with pytest.raises(Cancelled):
        written.extend(writer.stream(asking(part), GREEDY, CancelledWhileLooking(writer)))
    assert written == []
    assert picture_key(part) not in writer.load().encodings
    answer = write(writer, asking(part))  # and the next description is whole
    forget_everything(writer)
    assert write(writer, asking(part)) == answer


def test_a_missing_projector_is_a_sentence(exact_files: VisionModelFiles, tmp_path: Path) -> None:
    lone = VisionModelFiles(exact_files.text, tmp_path / "mmproj-missing.gguf")
    with pytest.raises(ModelLoadFailed, match=r"mmproj-missing\.gguf is missing"):
        LlamaCppVlmWriter(lone).load()


def test_choose_token_is_greedy_at_temperature_zero_and_penalises_what_was_seen() -> None:
    scores = np.array([1.0, 3.0, 2.9, -1.0], dtype=np.float32)
    rng = np.random.default_rng(0)
    assert choose_token(scores, np.array([], dtype=np.intc), GREEDY, rng) == 1
    penalised = GenerationParams(temperature=0.0, repetition_penalty=1.1)
    assert choose_token(scores, np.array([1], dtype=np.intc), penalised, rng) == 2


def test_choose_token_draws_only_from_the_top_k() -> None:
    scores = np.array([5.0, 4.9, 0.0, 0.0, 0.0], dtype=np.float32)
    params = GenerationParams(temperature=1.0, top_k=2, top_p=1.0, repetition_penalty=1.0)
    rng = np.random.default_rng(1)
    drawn = {choose_token(scores, np.array([], dtype=np.intc), params, rng) for _ in range(200)}
    assert drawn == {0, 1}


@pytest.mark.parametrize(
    ("weights", "matrix"), [("q4_0", "Q8_0"), ("q8_0", "Q8_0"), ("bf16", "F16")]
)
def test_with_a_smaller_projector_it_still_sees_the_picture(
    tiny_qwen3_vl_dir: Path, tmp_path: Path, weights: str, matrix: str
) -> None:
    import gguf

    from lookaloud.core.runtime.gguf_convert import convert_vision

    files = convert_vision(tiny_qwen3_vl_dir, tmp_path / f"tiny-{weights}.gguf", weights)
    tensors = {t.name: t for t in gguf.GGUFReader(str(files.projector)).tensors}
    kinds = {name: tensor.tensor_type for name, tensor in tensors.items()}
    # A matrix whose rows split into 32-value blocks takes the smaller type; one that does not,
    # 16 bits; the embeddings stay exact.
    splits = [n for n, t in tensors.items() if len(t.shape) == 2 and int(t.shape[0]) % 32 == 0]
    matrices = [n for n in splits if ".patch_embd." not in n and ".position_embd." not in n]
    assert matrices and {kinds[n] for n in matrices} == {gguf.GGMLQuantizationType[matrix]}
    assert kinds["v.patch_embd.weight"] == gguf.GGMLQuantizationType.F32
    small = LlamaCppVlmWriter(files)
    answers = [write(small, asking(small.prepare_image(photo(seed)))) for seed in (3, 4)]
    assert answers[0] and answers[0] != answers[1]
