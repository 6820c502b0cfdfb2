"""Reusing the system turn's key-value cache: same words, less prefill."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from lookaloud.core.cancel import CancelToken
from lookaloud.core.runtime.hub import HubAccess
from lookaloud.core.writers.base import ChatMessage, GenerationParams
from lookaloud.core.writers.local import LocalQwenWriter
from lookaloud.core.writers.prefix_cache import PrefixCache

OFFLINE = HubAccess(offline=True, endpoint="http://127.0.0.1:9")
SYSTEM = "You describe images for blind readers. Use plain sentences and only the facts given. " * 2
GREEDY = GenerationParams(max_new_tokens=12, temperature=0)


def messages(user: str, system: str = SYSTEM) -> list[ChatMessage]:
    return [ChatMessage("system", system), ChatMessage("user", user)]


def text(writer: LocalQwenWriter, chat: list[ChatMessage]) -> str:
    return "".join(writer.stream(chat, GREEDY, CancelToken()))


class FirstForwardLength:
    """Records how many new tokens the first forward pass of each generate call was given."""

    def __init__(self, model: Any) -> None:
        self.lengths: list[int] = []
        self._handle = model.register_forward_pre_hook(self._record, with_kwargs=True)

    def _record(self, module: Any, args: Any, kwargs: dict[str, Any]) -> None:
        ids = kwargs.get("input_ids")
        if ids is not None and ids.shape[1] > 1:
            self.lengths.append(int(ids.shape[1]))

    def remove(self) -> None:
        self._handle.remove()


def test_reused_prefix_writes_the_same_words(tiny_qwen_dir: Path) -> None:
    # fp32: the two ways of computing the prompt then agree to the last digit that matters.
    fp32 = torch.float32
    plain = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE, dtype=fp32, reuse_prefix=False)
    reusing = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE, dtype=fp32)
    chat = messages("Facts: a red car on a street. Describe it.")
    expected = text(plain, chat)
    assert expected
    assert text(reusing, chat) == expected  # computes the prefix
    assert text(reusing, chat) == expected  # reuses it
    other = messages("Facts: a dialog asks to save changes. Describe it.")
    assert text(reusing, other) == text(plain, other)


def test_only_the_new_part_of_the_prompt_is_prefilled(tiny_qwen_dir: Path) -> None:
    writer = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE)
    loaded = writer.load()
    chat = messages("Facts: a red car on a street. Describe it.")
    prompt_len = len(loaded.tokenizer(writer.build_prompt(chat))["input_ids"])
    prefix_len = len(loaded.tokenizer(writer.fixed_prefix(chat))["input_ids"])
    text(writer, chat)  # first use: the prefix is computed and kept
    hook = FirstForwardLength(loaded.model)
    try:
        text(writer, chat)
    finally:
        hook.remove()
    assert hook.lengths == [prompt_len - prefix_len]


def test_a_system_turn_held_ahead_spares_the_first_picture_its_prefill(
    tiny_qwen_dir: Path,
) -> None:
    writer = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE)
    loaded = writer.load()
    system = SYSTEM + "This turn is held before any picture."  # a prefix no test computed
    chat = messages("Facts: a dialog asks to save changes. Describe it.", system)
    prompt_len = len(loaded.tokenizer(writer.build_prompt(chat))["input_ids"])
    prefix_len = len(loaded.tokenizer(writer.fixed_prefix(chat))["input_ids"])
    writer.hold_system_turn(chat[0])
    hook = FirstForwardLength(loaded.model)
    try:
        text(writer, chat)  # the first picture with this system turn
    finally:
        hook.remove()
    assert hook.lengths == [prompt_len - prefix_len]


def test_prefix_must_start_the_prompt_and_be_long_enough(tiny_qwen_dir: Path) -> None:
    loaded = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE).load()
    cache = PrefixCache()
    prefix = list(range(10, 40))
    assert cache.past_for(loaded.model, [*prefix, 1, 2], [9, *prefix[1:]]) is None
    assert cache.past_for(loaded.model, [*prefix[:5], 1], prefix[:5]) is None  # too short
    assert cache.past_for(loaded.model, prefix, prefix) is None  # nothing left to prefill
    past = cache.past_for(loaded.model, [*prefix, 1, 2], prefix)
    assert past is not None and past.get_seq_length() == len(prefix)
    assert len(cache) == 1


def test_each_caller_gets_its_own_copy_and_old_prefixes_are_dropped(
    tiny_qwen_dir: Path,
) -> None:
    loaded = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE).load()
    cache = PrefixCache(capacity=2)
    prefixes = [list(range(start, start + 20)) for start in (10, 40, 70)]
    first = cache.past_for(loaded.model, [*prefixes[0], 1], prefixes[0])
    first.crop(-15)  # a caller changing its copy leaves the kept one whole
    again = cache.past_for(loaded.model, [*prefixes[0], 1], prefixes[0])
    assert again.get_seq_length() == 20
    for prefix in prefixes[1:]:
        cache.past_for(loaded.model, [*prefix, 1], prefix)
    assert len(cache) == 2
