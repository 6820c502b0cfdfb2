"""What a pipeline is asked to do for every image: language, detail, checks, model inputs."""

from __future__ import annotations

from dataclasses import dataclass

from lookaloud.core.pipeline.facts import Detail
from lookaloud.core.pipeline.files import DEFAULT_MAX_FILE_BYTES


@dataclass(frozen=True)
class PipelineConfig:
    lang: str = "en"
    detail: Detail = Detail.STANDARD
    ocr: bool = True
    max_attempts: int = 3
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # larger files are refused before reading
    phase_budget_s: float = 300.0  # a phase of one image that runs longer is stopped; 0: never
    caption_image_side: int = 384
    max_new_tokens: int = 0
    temperature: float = 0.7
    min_quality: float = 0.5
    seed: int | None = None
    # Read the text on a second thread while captioning. Off by default: on two cores it gained
    # nothing (3.05 s either way, `python -m benchmarks --set parallel_perception=true`) and
    # with both libraries at two threads it lost up to 1.4 s; machines with more cores may gain.
    parallel_perception: bool = False
    # Say one sentence made from the text or the caption as soon as it is known, before the
    # writer's first word (see :mod:`.opening`). Off here so tests of the writer alone see only
    # its text; the settings turn it on.
    first_sentence_from_facts: bool = False

    @property
    def writing(self) -> WriteSettings:
        """The part of the configuration the write stage needs."""
        return WriteSettings(
            self.max_attempts, self.max_new_tokens, self.temperature, self.min_quality, self.seed
        )


@dataclass(frozen=True)
class WriteSettings:
    """How descriptions are written and judged."""

    max_attempts: int = 3
    max_new_tokens: int = 0  # 0: the length anchor of the detail level and language
    temperature: float = 0.7
    min_quality: float = 0.5  # the L3 score a description needs
    seed: int | None = None
