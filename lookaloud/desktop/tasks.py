"""Work for the model thread: tasks, the queue they wait in, and what they describe with.

The queue is ordered by priority, then by age: everything the user asked for (describe, ask,
warm up) comes before prefetching, the pictures of a folder described in advance.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from lookaloud.core.cancel import CancelToken
from lookaloud.core.pipeline.run import Pipeline
from lookaloud.core.storage.cache import DescriptionCache

PipelineFactory = Callable[[], Pipeline]
TaskKind = Literal["warm", "describe", "ask"]
USER = 0
PREFETCH = 1


@dataclass(frozen=True, eq=False)  # a task is itself: two are never equal
class Task:
    id: int
    kind: TaskKind
    cancel: CancelToken = field(default_factory=CancelToken)
    source: Path | bytes | None = None
    name: str = ""
    from_screen: bool = False
    question: str = ""
    priority: int = USER
    fresh: bool = False  # describe again even when a description is cached
    # How long a request from browsing waits, once the cache has no answer, before it takes
    # the models: keys pressed quickly in a row then start no model work for the pictures
    # passed on the way.
    settle_ms: int = 0
    # The place in line among tasks of the same priority (0: by id). A prefetch stopped to let
    # the user's task go first is put back with its old place, not at the end.
    place: int = 0

    @property
    def order(self) -> tuple[int, int]:
        return (self.priority, self.place or self.id)


class TaskQueue:
    """Tasks waiting for the model thread; shared by the GUI thread and the model thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: list[Task] = []

    def put(self, task: Task) -> None:
        with self._lock:
            self._tasks.append(task)

    def take(self) -> Task | None:
        """The most urgent task (the oldest of the highest priority), removed; None if empty."""
        with self._lock:
            if not self._tasks:
                return None
            best = min(self._tasks, key=lambda task: task.order)
            self._tasks.remove(best)
            return best

    def discard(self, task: Task) -> bool:
        """Removes ``task`` if it is still waiting; False if the model thread has taken it."""
        with self._lock:
            if task in self._tasks:
                self._tasks.remove(task)
                return True
            return False

    def holds(self, task: Task) -> bool:
        with self._lock:
            return task in self._tasks

    def waiting(self) -> list[Task]:
        """A copy of the waiting tasks, most urgent first."""
        with self._lock:
            return sorted(self._tasks, key=lambda task: task.order)


@dataclass(frozen=True)
class Setup:
    """What images are described with; replaced whole when the settings change."""

    factory: PipelineFactory
    cache: DescriptionCache | None = None
    fingerprint: str = ""  # of the settings that change a description (the cache key)
    generation: int = 0  # a new one makes the model thread build its pipeline again


class SetupBox:
    """The current :class:`Setup`: set by the GUI thread, read by the model and cache threads."""

    def __init__(self, setup: Setup) -> None:
        self._lock = threading.Lock()
        self._setup = setup

    def get(self) -> Setup:
        with self._lock:
            return self._setup

    def set(self, setup: Setup) -> None:
        with self._lock:
            self._setup = setup
