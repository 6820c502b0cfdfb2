"""The decoding step's own attention and cache give what transformers' own path gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from transformers import DynamicCache
from transformers.integrations.sdpa_attention import repeat_kv

from lookaloud.core.cancel import CancelToken
from lookaloud.core.runtime.hub import HubAccess
from lookaloud.core.writers.base import ChatMessage, GenerationParams
from lookaloud.core.writers.decode import (
    GROUPED_ATTENTION,
    GrowingCache,
    GrowingLayer,
    grouped_attention,
    supports_growing_cache,
)
from lookaloud.core.writers.local import DEFAULT_ATTENTION, LocalQwenWriter

OFFLINE = HubAccess(offline=True, endpoint="http://127.0.0.1:9")


class Attention(torch.nn.Module):
    """What transformers' attention functions read from the module: group size and causality."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.num_key_value_groups = groups
        self.is_causal = True


def reference(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """Plain attention with each key-value head repeated for its query heads, as (b, q, h, d)."""
    groups = query.shape[1] // key.shape[1]
    scores = query @ repeat_kv(key, groups).transpose(-1, -2) / query.shape[-1] ** 0.5
    output = scores.softmax(-1) @ repeat_kv(value, groups)
    return output.transpose(1, 2)


@pytest.mark.parametrize("heads, kv_heads", [(16, 8), (4, 1), (2, 2)])
def test_one_new_token_attends_like_repeated_heads(heads: int, kv_heads: int) -> None:
    generator = torch.Generator().manual_seed(heads * 10 + kv_heads)
    query = torch.randn(1, heads, 1, 32, generator=generator)
    key = torch.randn(1, kv_heads, 50, 32, generator=generator)
    value = torch.randn(1, kv_heads, 50, 32, generator=generator)
    module = Attention(heads // kv_heads)
    output, weights = grouped_attention(module, query, key, value, None, scaling=32**-0.5)
    assert weights is None
    assert output.shape == (1, 1, heads, 32)
    torch.testing.assert_close(output, reference(query, key, value), rtol=1e-4, atol=1e-5)


def test_a_prompt_takes_transformers_own_path() -> None:
    generator = torch.Generator().manual_seed(3)
    query = torch.randn(1, 4, 6, 16, generator=generator)
    key = torch.randn(1, 2, 6, 16, generator=generator)
    value = torch.randn(1, 2, 6, 16, generator=generator)
    output, _ = grouped_attention(Attention(2), query, key, value, None, scaling=16**-0.5)
    causal = torch.ones(6, 6, dtype=torch.bool).tril()
    scores = query @ repeat_kv(key, 2).transpose(-1, -2) / 4.0
    expected = scores.masked_fill(~causal, float("-inf")).softmax(-1) @ repeat_kv(value, 2)
    torch.testing.assert_close(output, expected.transpose(1, 2), rtol=1e-4, atol=1e-5)


def states(length: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(1, 2, length, 8, generator=generator), torch.randn(
        1, 2, length, 8, generator=generator
    )


def test_growing_layer_holds_what_concatenation_holds() -> None:
    layer, plain = GrowingLayer(capacity=4), DynamicCache()
    pieces = [states(3, 1), states(1, 2), states(1, 3), states(5, 4), states(1, 5)]
    for keys, values in pieces:
        grown = layer.update(keys, values)
        expected = plain.update(keys, values, 0)
        torch.testing.assert_close(grown, expected, rtol=0, atol=0)
    assert layer.get_seq_length() == 11


def test_growing_layer_does_not_move_while_it_has_room() -> None:
    layer = GrowingLayer(capacity=64)
    layer.update(*states(10, 1))
    start = layer.keys.data_ptr() if layer.keys is not None else 0
    for seed in range(20):
        layer.update(*states(1, seed))
    assert layer.keys is not None and layer.keys.data_ptr() == start
    assert layer.get_seq_length() == 30


def test_growing_layer_after_crop_and_after_its_tensors_are_replaced() -> None:
    layer = GrowingLayer(capacity=8)
    keys, values = states(6, 1)
    layer.update(keys, values)
    layer.crop(-2)  # speculative decoding drops rejected tokens like this
    new_keys, new_values = states(1, 2)
    grown_keys, _ = layer.update(new_keys, new_values)
    torch.testing.assert_close(grown_keys, torch.cat([keys[:, :, :4], new_keys], dim=-2))
    assert layer.keys is not None and layer.values is not None
    layer.keys, layer.values = layer.keys.clone(), layer.values.clone()  # as reordering does
    more_keys, more_values = states(1, 3)
    grown_keys, _ = layer.update(more_keys, more_values)
    expected = torch.cat([keys[:, :, :4], new_keys, more_keys], dim=-2)
    torch.testing.assert_close(grown_keys, expected)


def test_seeded_cache_copies_its_start() -> None:
    keys, values = states(5, 1)
    cache = GrowingCache.seeded([(keys, values), (keys * 2, values * 2)], room=10)
    keys.zero_()  # the source may change afterwards: the cache has its own copy
    assert cache.get_seq_length() == 5
    assert len(cache.layers) == 2
    assert float(cache.layers[1].keys.abs().sum()) > 0


def test_sliding_window_models_keep_transformers_cache(tiny_qwen_dir: Path) -> None:
    model = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE).load().model
    assert supports_growing_cache(model.config)
    sliding: Any = type("Config", (), {"use_sliding_window": True, "sliding_window": 64})()
    assert not supports_growing_cache(sliding)
    mixed: Any = type("Config", (), {"layer_types": ["full_attention", "sliding_attention"]})()
    assert not supports_growing_cache(mixed)


MESSAGES = [
    ChatMessage("system", "You describe images for blind readers, plainly and briefly. " * 3),
    ChatMessage("user", "Facts: a dialog asks to save changes. Describe it."),
]
GREEDY = GenerationParams(max_new_tokens=24, temperature=0)


def written(writer: LocalQwenWriter) -> str:
    return "".join(writer.stream(MESSAGES, GREEDY, CancelToken()))


@pytest.mark.parametrize("reuse_prefix", [False, True])
def test_writer_writes_what_transformers_own_attention_writes(
    tiny_qwen_dir: Path, reuse_prefix: bool
) -> None:
    # fp32, so both ways round alike; greedy, so the same numbers give the same words.
    fp32 = torch.float32
    ours = LocalQwenWriter(str(tiny_qwen_dir), hub=OFFLINE, dtype=fp32, reuse_prefix=reuse_prefix)
    theirs = LocalQwenWriter(
        str(tiny_qwen_dir), hub=OFFLINE, dtype=fp32, attention="sdpa", reuse_prefix=False
    )
    assert DEFAULT_ATTENTION == GROUPED_ATTENTION
    assert ours.load().model.config._attn_implementation == GROUPED_ATTENTION
    expected = written(theirs)
    assert expected
    caches: list[type] = []
    model = ours.load().model
    handle = model.register_forward_pre_hook(
        lambda _, args, kwargs: caches.append(type(kwargs["cache"])), with_kwargs=True
    )
    try:
        assert written(ours) == expected
        assert written(ours) == expected  # a second time, from the kept prefix when reused
    finally:
        handle.remove()
    # Every step runs on a growing cache; the only other one computes the kept prefix, once.
    assert caches.count(DynamicCache) == (1 if reuse_prefix else 0)
    assert len(caches) > 2 and set(caches) - {DynamicCache} == {GrowingCache}
