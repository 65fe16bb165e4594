"""Invariants 1 and 6 under concurrent writers, on every backend (threads; moto serialised, docs/architecture.md §7)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from investmind.errors import TaskEnded
from investmind.models import EventDraft, EventType, Task
from investmind.store import TaskQuery

WRITERS = 5
APPENDS = 20
# Over HTTP every moto request costs several times more; the same race needs fewer rounds to show.
APPENDS_BY_BACKEND = {"async_dynamodb": 8}


pytestmark = pytest.mark.usefixtures("serialized_moto")


def created(backend) -> Task:
    task = Task(task_id=uuid.uuid4().hex, owner="caller", symbol="600519.SH", created_at="t", updated_at="t")
    backend.tasks.create(task, EventDraft(type=EventType.task_queued))
    return task


def in_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` on ``count`` threads released together; return the results in thread order."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def body(i: int) -> None:
        start.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def log_draft(writer: int, n: int) -> EventDraft:
    return EventDraft(type=EventType.log, data={"level": "info", "message": f"{writer}:{n}"})


def test_append_concurrent_writers_gap_free(backend):
    task = created(backend)
    appends = APPENDS_BY_BACKEND.get(backend.name, APPENDS)

    def writer(i: int) -> list[int]:
        return [backend.log.append(task.task_id, [log_draft(i, n)])[0].seq for n in range(appends)]

    seqs = in_threads(WRITERS, writer)

    events = backend.log.read(task.task_id)
    assert [e.seq for e in events] == list(range(1, WRITERS * appends + 2))
    assert sorted(s for mine in seqs for s in mine) == list(range(2, WRITERS * appends + 2))
    for i, mine in enumerate(seqs):  # each writer's events keep its own order
        assert mine == sorted(mine)
        assert [e.data["message"] for e in events if e.seq in mine] == [f"{i}:{n}" for n in range(appends)]


def test_append_terminal_event_wins_race_refuses_every_later_append(backend):
    task = created(backend)
    all_writing = threading.Barrier(WRITERS)
    refused: list[int] = []

    def writer(i: int) -> None:
        backend.log.append(task.task_id, [log_draft(i, 0)])
        all_writing.wait()
        if i == 0:  # lands while the others are still appending
            backend.log.append(task.task_id, [EventDraft(type=EventType.task_completed)])
            return
        for n in range(1, 1000):
            try:
                backend.log.append(task.task_id, [log_draft(i, n)])
            except TaskEnded:
                refused.append(i)
                return

    in_threads(WRITERS, writer)

    events = backend.log.read(task.task_id)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [e.type for e in events].count(EventType.task_completed) == 1
    assert events[-1].type == EventType.task_completed
    assert sorted(refused) == list(range(1, WRITERS))
    with pytest.raises(TaskEnded):
        backend.log.append(task.task_id, [log_draft(0, 0)])


def test_append_once_racing_writers_exactly_one_wins(backend):
    task = created(backend)
    drafts = [EventDraft(type=EventType.stage_completed, stage=1), EventDraft(type=EventType.stage_started, stage=2)]

    results = in_threads(WRITERS, lambda i: backend.log.append(task.task_id, drafts, once="stage:2"))

    assert sorted(len(r) for r in results) == [0] * (WRITERS - 1) + [2]
    assert [e.seq for e in backend.log.read(task.task_id)] == [1, 2, 3]


def test_create_racing_same_idempotency_key_creates_one_task(backend):
    owner = f"caller-{uuid.uuid4().hex[:8]}"

    def create(i: int) -> tuple[str, bool]:
        task = Task(task_id=uuid.uuid4().hex, owner=owner, symbol="600519.SH", created_at="t", updated_at="t")
        stored, is_new = backend.tasks.create(task, EventDraft(type=EventType.task_queued), idempotency_key="k")
        return stored.task_id, is_new

    results = in_threads(WRITERS, create)

    assert len({task_id for task_id, _ in results}) == 1
    assert sorted(is_new for _, is_new in results) == [False] * (WRITERS - 1) + [True]
    assert [t.task_id for t in backend.tasks.list(TaskQuery(owner))[0]] == [results[0][0]]
