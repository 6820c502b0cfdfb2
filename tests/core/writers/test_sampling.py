"""The top-k sampler draws from the distribution transformers' own warpers would sample from."""

from __future__ import annotations

import pytest
import torch
from transformers import (
    LogitsProcessorList,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from lookaloud.core.writers.base import GenerationParams
from lookaloud.core.writers.sampling import TopKSampler, generation_options

VOCAB = 40


def scores(seed: int) -> torch.Tensor:
    return torch.randn(1, VOCAB, generator=torch.Generator().manual_seed(seed)) * 3


def transformers_distribution(
    logits: torch.Tensor, temperature: float, top_k: int, top_p: float
) -> torch.Tensor:
    warpers = LogitsProcessorList(
        [TemperatureLogitsWarper(temperature), TopKLogitsWarper(top_k), TopPLogitsWarper(top_p)]
    )
    ids = torch.zeros(1, 1, dtype=torch.long)
    return torch.softmax(warpers(ids, logits.clone()), dim=-1)[0]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "temperature, top_k, top_p", [(0.7, 20, 0.8), (1.0, 5, 1.0), (1.5, 40, 0.5), (0.3, 3, 0.95)]
)
def test_draws_follow_transformers_distribution(
    temperature: float, top_k: int, top_p: float
) -> None:
    logits = scores(int(temperature * 10) + top_k)
    expected = transformers_distribution(logits, temperature, top_k, top_p)
    sampler = TopKSampler(temperature, top_k, top_p)
    ids = torch.zeros(1, 1, dtype=torch.long)
    torch.manual_seed(7)
    draws = 4000
    counts = torch.zeros(VOCAB)
    for _ in range(draws):
        out = sampler(ids, logits.clone())  # type: ignore[arg-type]
        assert int(torch.isfinite(out).sum()) == 1  # only the drawn token stays possible
        counts[int(out.argmax())] += 1
    observed = counts / draws
    assert set(torch.nonzero(observed).flatten().tolist()) <= set(
        torch.nonzero(expected).flatten().tolist()
    )  # never a token transformers could not have drawn
    assert float((observed - expected).abs().max()) < 0.035


def test_same_seed_same_draws() -> None:
    sampler = TopKSampler(0.7, 20, 0.8)
    ids = torch.zeros(1, 1, dtype=torch.long)

    def draws(seed: int) -> list[int]:
        torch.manual_seed(seed)
        return [int(sampler(ids, scores(1)).argmax()) for _ in range(30)]  # type: ignore[arg-type]

    assert draws(3) == draws(3)
    assert draws(3) != draws(4)


def test_options_sample_through_the_sampler_or_greedily() -> None:
    sampled = generation_options(GenerationParams(temperature=0.7, top_k=20), pad_token_id=0)
    assert sampled["do_sample"] is False
    assert [type(p) for p in sampled["logits_processor"]] == [TopKSampler]
    greedy = generation_options(GenerationParams(temperature=0), pad_token_id=0)
    assert greedy["do_sample"] is False and len(greedy["logits_processor"]) == 0
    whole = generation_options(GenerationParams(temperature=0.7, top_k=0), pad_token_id=0)
    assert whole["do_sample"] is True and len(whole["logits_processor"]) == 0


def test_needs_a_temperature_and_a_top_k() -> None:
    with pytest.raises(ValueError):
        TopKSampler(0.0, 20, 0.8)
    with pytest.raises(ValueError):
        TopKSampler(0.7, 0, 0.8)
