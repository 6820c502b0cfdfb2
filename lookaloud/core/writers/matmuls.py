"""Which matrix-product code runs each step of a bf16 model on the CPU.

PyTorch hands bf16 matrix products to oneDNN. For a prompt (hundreds of rows at once) that is by
far the fastest; for one new token (a single row times each weight matrix) oneDNN read the
weights at 13–16 GB/s here, while PyTorch's own kernel read them at about 30 GB/s. Decoding reads
every weight once per token, so it is bound by exactly that speed.

:func:`single_token_steps_without_onednn` therefore switches oneDNN off for one-token steps and
on for longer ones while one ``generate`` call runs. The switch is process-wide, so other models
must not run at the same time (Lookaloud runs its models one at a time); it is restored after.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch


@contextmanager
def single_token_steps_without_onednn(model: Any) -> Iterator[None]:
    """Within the block, ``model``'s one-token forward passes run without oneDNN (bf16 only)."""
    if model.dtype != torch.bfloat16 or not torch.backends.mkldnn.is_available():  # type: ignore[no-untyped-call]
        yield
        return
    enabled_before = bool(torch.backends.mkldnn.enabled)

    def choose(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        ids = kwargs.get("input_ids")
        one_token = ids is not None and ids.shape[-1] == 1
        torch.backends.mkldnn.set_flags(enabled_before and not one_token)  # type: ignore[no-untyped-call]

    handle = model.register_forward_pre_hook(choose, with_kwargs=True)
    try:
        yield
    finally:
        handle.remove()
        torch.backends.mkldnn.set_flags(enabled_before)  # type: ignore[no-untyped-call]
