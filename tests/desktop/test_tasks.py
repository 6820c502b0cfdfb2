"""The model thread's queue: the user's tasks first, then prefetching, each oldest first."""

from __future__ import annotations

from lookaloud.desktop.tasks import PREFETCH, USER, Task, TaskQueue


def test_the_users_tasks_are_taken_before_prefetching_whatever_came_first() -> None:
    queue = TaskQueue()
    early_prefetch = Task(1, "describe", priority=PREFETCH)
    later_prefetch = Task(2, "describe", priority=PREFETCH)
    user = Task(3, "describe", priority=USER)
    put_back = Task(4, "describe", priority=PREFETCH, place=1)  # 1 was stopped and put back
    for task in (later_prefetch, user, put_back):
        queue.put(task)
    assert queue.waiting() == [user, put_back, later_prefetch]
    assert queue.take() is user
    assert queue.take() is put_back
    assert not queue.discard(early_prefetch)  # never queued, or taken already
    assert queue.discard(later_prefetch) and queue.take() is None
