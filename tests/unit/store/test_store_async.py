"""The async backends on their own event loop (the contract suite also drives them through a portal)."""

from __future__ import annotations

import uuid

import anyio
import pytest

from investmind.errors import NotFound, TaskEnded
from investmind.models import EventDraft, EventType, Progress, Task, TaskStatus
from investmind.projection import initial_agents
from investmind.roster import AGENTS
from investmind.store import TaskQuery

pytestmark = pytest.mark.anyio

WRITERS = 5
APPENDS = 8


def new_task(owner: str = "caller", created_at: str = "2025-01-02T03:04:05.000Z") -> Task:
    return Task(task_id=uuid.uuid4().hex, owner=owner, symbol="600519.SH", created_at=created_at, updated_at=created_at)


async def test_async_store_create_get_list_save_round_trip(async_stores):
    tasks, _ = async_stores
    task = new_task(owner=f"caller-{uuid.uuid4().hex[:6]}")

    stored = task.model_copy(
        update={
            "applied_seq": 1,
            "agents": initial_agents(task.agents_requested),
            "progress": Progress(total=len(AGENTS)),
        }
    )  # its first event folded in
    assert await tasks.create(task, EventDraft(type=EventType.task_queued), idempotency_key="k") == (stored, True)
    assert await tasks.create(new_task(task.owner), EventDraft(type=EventType.task_queued), idempotency_key="k") == (
        stored,
        False,
    )
    assert await tasks.save_projection(task.model_copy(update={"status": TaskStatus.RUNNING, "applied_seq": 2}), 1)

    assert (await tasks.get(task.task_id, task.owner)).status == TaskStatus.RUNNING
    page, _ = await tasks.list(TaskQuery(task.owner, status=TaskStatus.RUNNING))
    assert [t.task_id for t in page] == [task.task_id]
    with pytest.raises(NotFound):
        await tasks.get(task.task_id, "intruder")


async def test_async_append_concurrent_tasks_gap_free_then_terminal_refuses(async_stores):
    tasks, log = async_stores
    task = new_task()
    await tasks.create(task, EventDraft(type=EventType.task_queued))

    async def writer(i: int) -> None:
        for n in range(APPENDS):
            await log.append(task.task_id, [EventDraft(type=EventType.log, data={"message": f"{i}:{n}"})])

    async with anyio.create_task_group() as group:
        for i in range(WRITERS):
            group.start_soon(writer, i)
    await log.append(task.task_id, [EventDraft(type=EventType.task_failed, data={"error": "x"})])

    assert [e.seq for e in await log.read(task.task_id)] == list(range(1, WRITERS * APPENDS + 3))
    with pytest.raises(TaskEnded):
        await log.append(task.task_id, [EventDraft(type=EventType.log)])
