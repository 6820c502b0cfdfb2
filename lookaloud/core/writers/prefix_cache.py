"""Reusing the key-value cache of the prompt's fixed start between descriptions.

Every prompt for one language and detail level starts with the same system turn — a few hundred
tokens of rules. Their keys and values depend on nothing else, so they are computed once and a
copy is handed to each later ``generate`` call, which then only reads the facts of the new
image. On two CPU cores that saves most of a second before the first word.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import torch
from transformers import DynamicCache

from lookaloud.core.writers.decode import GrowingCache, supports_growing_cache

# Few distinct system turns exist (language × detail × simple retry); each costs tens of MB.
DEFAULT_CAPACITY = 4
# Below this a saved prefix is not worth a copy.
MIN_PREFIX_TOKENS = 16


class PrefixCache:
    """Key-value caches of prompt prefixes for one model, least recently used dropped first."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def past_for(
        self, model: Any, prompt_ids: Sequence[int], prefix_ids: Sequence[int], room: int = 0
    ) -> Any:
        """A private copy of the cache of ``prefix_ids`` for a prompt that starts with them.

        None when the prompt does not start with the prefix (then nothing can be reused) or the
        prefix is too short to matter. Computes the prefix's cache on first use. ``room`` is how
        many positions the caller will add (the rest of the prompt and the answer): the copy is
        a :class:`GrowingCache` with that much space, where the model allows one.
        """
        size = len(prefix_ids)
        if size < MIN_PREFIX_TOKENS or size >= len(prompt_ids):
            return None
        if list(prompt_ids[:size]) != list(prefix_ids):
            return None
        with self._lock:
            cache = self._entry(model, tuple(prefix_ids))
            if not supports_growing_cache(model.config):
                return copy.deepcopy(cache)
            return GrowingCache.seeded(((layer.keys, layer.values) for layer in cache.layers), room)

    def fill(self, model: Any, prefix_ids: Sequence[int]) -> None:
        """Computes the cache of ``prefix_ids`` now (if it is long enough to be kept), so the
        first prompt that starts with them does not wait for it."""
        if len(prefix_ids) >= MIN_PREFIX_TOKENS:
            with self._lock:
                self._entry(model, tuple(prefix_ids))

    def _entry(self, model: Any, key: tuple[int, ...]) -> Any:
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key]
        self._entries[key] = _computed(model, key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)
        return self._entries[key]


def _computed(model: Any, ids: tuple[int, ...]) -> DynamicCache:
    cache = DynamicCache(config=model.config)
    with torch.inference_mode():
        model(input_ids=torch.tensor([ids]), cache=cache, use_cache=True)
    return cache
