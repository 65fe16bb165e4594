"""The sparse open-tasks index (``TaskStore.list_open``), on the memory and DynamoDB backends alike."""

from __future__ import annotations

import pytest

from investmind.models import EventDraft, EventType, TaskStatus
from investmind.projection import fold

from .test_store_contract import created

SYNC_BACKENDS = ("memory", "dynamodb")


# Only the sync backends carry the reconciler's query; the async ones (the API's) serve reads.
pytestmark = pytest.mark.parametrize("backend", SYNC_BACKENDS, indirect=True)


def _all_open(tasks, limit: int) -> list[str]:
    found, cursor = [], None
    while True:
        page, cursor = tasks.list_open(limit=limit, cursor=cursor)
        found += page
        if cursor is None:
            return found


def _end(backend, task_id: str) -> None:
    """Append a terminal event and fold the whole log into the projection, as ProgressFunction does."""
    backend.log.append(task_id, [EventDraft(type=EventType.task_failed, data={"error": "x", "error_type": "X"})])
    task = backend.tasks.get_projection(task_id)
    folded = task
    for event in backend.log.read(task_id, after=task.applied_seq):
        folded = fold(folded, event)
    assert backend.tasks.save_projection(folded, task.applied_seq, before=task)


def test_open_tasks_are_listed_oldest_first_in_pages_and_a_terminal_projection_leaves_the_index(backend):
    times = [f"2025-03-0{day}T00:00:00.000Z" for day in (4, 1, 3, 2, 5)]
    ids = {at: created(backend, created_at=at).task_id for at in times}
    oldest_first = [ids[at] for at in sorted(times)]

    assert _all_open(backend.tasks, limit=2) == oldest_first
    _end(backend, oldest_first[1])

    assert backend.tasks.get_projection(oldest_first[1]).status == TaskStatus.FAILED
    assert _all_open(backend.tasks, limit=2) == [oldest_first[0], *oldest_first[2:]]
    assert _all_open(backend.tasks, limit=100) == [oldest_first[0], *oldest_first[2:]]


def test_an_ended_log_whose_projection_has_not_folded_it_stays_listed(backend):
    task = created(backend)
    backend.log.append(task.task_id, [EventDraft(type=EventType.task_cancelled, data={"reason": "r"})])

    assert task.task_id in _all_open(backend.tasks, limit=100)  # the reconciler still has a fold to do
    assert backend.tasks.get(task.task_id).status == TaskStatus.CANCELLED  # while every read is settled
