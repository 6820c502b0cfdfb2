"""The llama.cpp writer on a real GGUF file: the tiny random Qwen3 converted by
``gguf_convert``, loaded by llama-cpp-python, streamed, cancelled, and its prompt kept."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from lookaloud.core.cancel import CancelToken
from lookaloud.core.errors import Cancelled, ModelLoadFailed
from lookaloud.core.runtime.compute import THREAD_NAME
from lookaloud.core.runtime.gguf_convert import WEIGHT_TYPES, convert
from lookaloud.core.writers.base import ChatMessage, GenerationParams
from lookaloud.core.writers.llamacpp import LlamaCppWriter, physical_cores

pytest.importorskip("llama_cpp", reason="the llama.cpp engine is not installed")
pytest.importorskip("gguf", reason="the gguf library is not installed")

CHAT = (
    ChatMessage("system", "You describe pictures for a blind reader."),
    ChatMessage("user", "Facts: a window titled Notes with the text Invoice total due."),
)
GREEDY = GenerationParams(max_new_tokens=12, temperature=0.0, seed=1)


@pytest.fixture(scope="module")
def gguf_files(tiny_qwen_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("gguf")
    return {
        kind: convert(tiny_qwen_dir, folder / f"tiny-{kind}.gguf", kind) for kind in WEIGHT_TYPES
    }


@pytest.fixture(scope="module")
def writer(gguf_files: dict[str, Path]) -> LlamaCppWriter:
    return LlamaCppWriter(gguf_files["q8_0"], threads=2)


def test_every_weight_type_loads_and_writes(gguf_files: dict[str, Path]) -> None:
    for kind, path in gguf_files.items():
        pieces = list(LlamaCppWriter(path, threads=2).stream(CHAT, GREEDY, CancelToken()))
        assert "".join(pieces), kind


def test_the_prompt_is_the_model_s_own_template_with_thinking_off(writer: LlamaCppWriter) -> None:
    prompt = writer.build_prompt(CHAT)
    assert prompt.startswith("<|im_start|>system\nYou describe pictures")
    assert prompt.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")


def test_greedy_writing_is_repeatable(writer: LlamaCppWriter) -> None:
    first = "".join(writer.stream(CHAT, GREEDY, CancelToken()))
    again = "".join(writer.stream(CHAT, GREEDY, CancelToken()))
    assert first == again


def test_the_system_prompt_is_kept_between_images(writer: LlamaCppWriter) -> None:
    list(writer.stream(CHAT, GREEDY, CancelToken()))
    llama = writer.load()
    other = (CHAT[0], ChatMessage("user", "Facts: a dialog with two buttons, Save and Cancel."))
    tokens = llama.tokenize(writer.build_prompt(other).encode(), False, True)
    system = llama.tokenize(writer.build_prompt(CHAT[:1]).encode(), False, True)
    held = list(llama.input_ids[: llama.n_tokens])
    shared = next((n for n, (a, b) in enumerate(zip(held, tokens, strict=False)) if a != b), 0)
    assert shared >= len(system) - 3  # the system turn is already in the model's memory


def test_the_system_turn_held_ahead_leaves_only_the_facts_to_read(writer: LlamaCppWriter) -> None:
    llama = writer.load()
    llama.reset()
    writer.hold_system_turn(CHAT[0])
    held = list(llama.input_ids[: llama.n_tokens])
    prompt = llama.tokenize(writer.build_prompt(CHAT).encode(), False, True)
    turn = f"<|im_start|>system\n{CHAT[0].content}<|im_end|>\n"
    system = llama.tokenize(turn.encode(), False, True)
    user = llama.tokenize(CHAT[1].content.encode(), False, True)
    assert len(system) <= len(held) <= len(prompt) - len(user)  # the system turn, no facts
    assert held == list(prompt[: len(held)])
    cold = "".join(writer.stream(CHAT, GREEDY, CancelToken()))
    writer.hold_system_turn(CHAT[0])  # the facts and the answer are forgotten
    assert llama.n_tokens == len(held)
    assert "".join(writer.stream(CHAT, GREEDY, CancelToken())) == cold


def test_a_cancel_before_the_start_writes_nothing(writer: LlamaCppWriter) -> None:
    cancel = CancelToken()
    cancel.cancel()
    with pytest.raises(Cancelled):
        list(writer.stream(CHAT, GREEDY, cancel))


def test_a_cancel_while_writing_stops_at_the_next_piece(writer: LlamaCppWriter) -> None:
    cancel = CancelToken()
    long = GenerationParams(max_new_tokens=400, temperature=0.7, seed=3)
    received = 0
    with pytest.raises(Cancelled):
        for _ in writer.stream(CHAT, long, cancel):
            received += 1
            if received == 3:
                cancel.cancel()
    assert received == 3


class CancelledWhileReading(CancelToken):
    """Cancels itself at llama.cpp's ``after``-th look while a prompt is read (the abort
    callback reads ``cancelled`` between the steps of the computation graph)."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.looks = 0
        self._after = after

    @property
    def cancelled(self) -> bool:
        self.looks += 1
        if self.looks == self._after:
            self.cancel()
        return super().cancelled


def long_chat(lines: int = 60) -> tuple[ChatMessage, ...]:
    facts = " ".join(f"Line {n}: the window shows item number {n}." for n in range(lines))
    return (CHAT[0], ChatMessage("user", facts))


def test_a_cancel_while_the_prompt_is_read_stops_it_inside_llama_cpp(
    writer: LlamaCppWriter,
) -> None:
    chat = long_chat()
    expected = "".join(writer.stream(chat, GREEDY, CancelToken()))
    list(writer.stream(CHAT, GREEDY, CancelToken()))  # only the system turn stays in common
    cancel = CancelledWhileReading(after=40)
    with pytest.raises(Cancelled):
        list(writer.stream(chat, GREEDY, cancel))
    # The cancel was seen inside the one batch of prompt, and no more looks came after it.
    assert cancel.looks >= 40
    looks = cancel.looks
    # The half-read prompt left nothing behind: the same chat is written as before.
    assert "".join(writer.stream(chat, GREEDY, CancelToken())) == expected
    assert cancel.looks == looks  # the callback is gone once the prompt was read


def test_llama_cpp_computes_on_the_thread_pytorch_computes_on(gguf_files: dict[str, Path]) -> None:
    # One OpenMP team for both: a second one made llama.cpp's threads sleep at every barrier.
    threads: set[str] = set()

    def note(ids: Any, scores: Any) -> Any:
        threads.add(threading.current_thread().name)
        return scores

    writer = LlamaCppWriter(gguf_files["q8_0"], threads=2, logits_processors=lambda: [note])
    assert "".join(writer.stream(CHAT, GREEDY, CancelToken()))
    assert threads == {THREAD_NAME}


def test_a_missing_file_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadFailed, match="is missing"):
        LlamaCppWriter(tmp_path / "nothing.gguf").load()


def test_threads_are_physical_cores() -> None:
    assert 1 <= physical_cores() <= (os.cpu_count() or 1)


def test_with_exact_weights_llamacpp_writes_the_tokens_transformers_writes(
    tiny_qwen_dir: Path, gguf_files: dict[str, Path]
) -> None:
    """The proof that conversion and chat template are right: the same prompt, tokenized the
    same, and the same greedy continuation from f32 weights in both engines."""
    import itertools

    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_qwen_dir)
    chat = [{"role": m.role, "content": m.content} for m in CHAT]
    prompt = tokenizer.apply_chat_template(
        chat, tokenize=False, add_generation_prompt=True, enable_thinking=False
    )
    writer = LlamaCppWriter(gguf_files["f32"], threads=2)
    assert writer.build_prompt(list(CHAT)) == prompt  # the template read from the GGUF file
    ids = tokenizer(prompt)["input_ids"]
    llama = writer.load()
    assert llama.tokenize(prompt.encode(), False, True) == ids
    model = AutoModelForCausalLM.from_pretrained(tiny_qwen_dir, dtype=torch.float32)
    with torch.inference_mode():
        out = model.generate(
            torch.tensor([ids]), max_new_tokens=16, do_sample=False, repetition_penalty=1.0
        )
    expected = out[0, len(ids) :].tolist()
    written = llama.generate(ids, top_k=1, temp=0.0, repeat_penalty=1.0, reset=True)
    assert list(itertools.islice(written, len(expected))) == expected
