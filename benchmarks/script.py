"""The benchmark device: scripted token choices for randomly initialised models.

Random weights never stop and never end a sentence, so the time to a first sentence and the time
for 100 tokens could not be measured on them. The models here still run every forward pass in
full — prefill, one decode step per token, the whole vocabulary projected every step — but a
logits processor chooses *which* token comes out: the next token of a plausible text written
below. Compute and memory traffic per step are the trained models' own; only the choice is
scripted. The cost of the processor itself (one fill of the score row) is negligible next to a
decode step, and both measured paths carry it.

- The writer's script is a 100+-token description of the benchmark picture whose first sentence
  is a one-sentence summary, as the prompt asks; it contains no digits (so the invented-number
  rule has nothing to reject) and is cut at exactly 100 tokens by ``max_new_tokens``.
- BLIP's scripts are captions of the length BLIP-base writes (about 10 to 14 tokens) followed by
  its end token, so the caption decoder runs as many steps as with trained weights.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from transformers import LogitsProcessor

WRITER_SCRIPT = (
    "The screenshot shows a document editor with a grey dialog in the centre asking whether "
    'to save changes. At the top, a dark title bar reads "Quarterly report - Editor", and '
    "below it a menu bar lists File, Edit, View, Insert, Format and Help. On the left, a "
    "sidebar lists Documents, Recent files, Shared with me and Trash. The main page shows the "
    'heading "Quarterly report" and a sentence saying that sales grew in every region. The '
    'dialog in the centre is titled "Save changes?" and says "Your document has unsaved '
    'changes." Below that sit three buttons from left to right: a blue "Save" button, '
    '"Don\'t Save" and "Cancel". At the bottom of the page, a bar chart with blue, green, '
    "yellow and red bars stands on the left, and a blue and yellow pie chart on the right."
)

# A follow-up answer as the product asks for one (one to three short sentences) to "What does the
# dialog ask?": the follow-up's first sentence is timed on an answer of the length users hear.
FOLLOWUP_SCRIPT = (
    'It asks "Save changes?" Below that it says "Your document has unsaved changes." and offers '
    '"Save", "Don\'t Save" and "Cancel".'
)

CAPTION_SCRIPTS = (
    "a screenshot of a computer screen with a document and a dialog box",
    "a screenshot of a menu with a list of files on the left",
    "a dialog box with three buttons on a white page",
    "a bar chart and a pie chart on a white background",
)


class ScriptedTokens(LogitsProcessor):
    """Forces row ``i`` of the batch to write ``scripts[i % len(scripts)]``, then ``end_id``.

    With no scripts (trained checkpoints) it chooses nothing and only keeps the times.

    One instance serves one ``generate`` call: the first call sees the prompt length, each later
    call one more token. The time of every call is kept: the first marks the end of the prefill,
    the gaps between later ones are decode steps.
    """

    def __init__(self, scripts: Sequence[Sequence[int]], end_id: int) -> None:
        self._scripts = [list(script) for script in scripts]
        self._end_id = end_id
        self._start: int | None = None
        self.stamps: list[float] = []

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        self.stamps.append(time.perf_counter())
        if not self._scripts:
            return scores  # a trained model: only the stamps are wanted
        if self._start is None:
            self._start = input_ids.shape[1]
        step = input_ids.shape[1] - self._start
        rows = input_ids.shape[0]
        chosen = [self._token(row % len(self._scripts), step) for row in range(rows)]
        forced = torch.full_like(scores, float("-inf"))
        forced[torch.arange(rows), torch.tensor(chosen)] = 0.0
        return forced  # type: ignore[return-value]

    @property
    def prompt_length(self) -> int | None:
        """How many tokens the model was given (visual tokens included); None before a call
        or without a script."""
        return self._start

    def _token(self, row: int, step: int) -> int:
        script = self._scripts[row]
        return script[step] if step < len(script) else self._end_id


class ScriptedLogits:
    """:class:`ScriptedTokens` for llama.cpp, whose processors see numpy arrays, one row of
    scores per step; the step is counted by the calls, since the ids include the whole prompt."""

    def __init__(self, scripts: Sequence[Sequence[int]], end_id: int) -> None:
        self._script = list(scripts[0]) if scripts else None
        self._end_id = end_id
        self.stamps: list[float] = []

    def __call__(
        self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]
    ) -> npt.NDArray[np.single]:
        step = len(self.stamps)
        self.stamps.append(time.perf_counter())
        if self._script is None:
            return scores
        chosen = self._script[step] if step < len(self._script) else self._end_id
        forced = np.full_like(scores, -np.inf)
        forced[chosen] = 0.0
        return forced


class ScriptRecorder:
    """A factory of scripted processors, one per generate call, keeping each with its start.

    ``numpy`` makes :class:`ScriptedLogits` (llama.cpp) instead of :class:`ScriptedTokens`.
    """

    def __init__(
        self,
        scripts: Sequence[Sequence[int]],
        end_id: int,
        *,
        numpy: bool = False,
        answers: Sequence[Sequence[int]] = (),
    ) -> None:
        self._scripts = scripts
        self._answers = answers or scripts
        self._end_id = end_id
        self._numpy = numpy
        self._answering = False
        self.calls: list[tuple[float, ScriptedTokens | ScriptedLogits]] = []

    @contextmanager
    def answering(self) -> Iterator[None]:
        """The follow-up answers' scripts for the calls made inside."""
        self._answering = True
        try:
            yield
        finally:
            self._answering = False

    def __call__(self) -> list[Any]:
        kind = ScriptedLogits if self._numpy else ScriptedTokens
        processor = kind(self._answers if self._answering else self._scripts, self._end_id)
        self.calls.append((time.perf_counter(), processor))
        return [processor]

    def reset(self) -> None:
        self.calls.clear()


def writer_recorder(
    encode: Callable[[str], list[int]],
    end_id: int,
    *,
    numpy: bool = False,
    answers: bool = False,
) -> ScriptRecorder:
    """The description's script; with ``answers``, the follow-up answer's too."""
    followup = [encode(FOLLOWUP_SCRIPT)] if answers else []
    return ScriptRecorder([encode(WRITER_SCRIPT)], end_id, numpy=numpy, answers=followup)


def caption_recorder(encode: Callable[[str], list[int]], end_id: int) -> ScriptRecorder:
    return ScriptRecorder([encode(caption) for caption in CAPTION_SCRIPTS], end_id)
