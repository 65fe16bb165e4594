"""The SSE hub: one log poller per task for any number of subscribers, each getting every event once, in order."""

from __future__ import annotations

import asyncio

import pytest

from investmind.adapters.memory import AsyncMemoryEventLog, MemoryEventLog
from investmind.api.sse import EventHub, tail
from investmind.models import EventDraft, EventType
from investmind.settings import Settings

pytestmark = pytest.mark.anyio
POLL_S = 0.01


class CountingLog(AsyncMemoryEventLog):
    """The memory log, counting reads; ``fail_after`` makes reads fail from then on."""

    def __init__(self, log: MemoryEventLog) -> None:
        super().__init__(log)
        self.reads = 0
        self.fail_after: int | None = None

    async def read(self, task_id: str, after: int = 0, limit: int = 1000):
        self.reads += 1
        if self.fail_after is not None and self.reads > self.fail_after:
            raise ConnectionError("dynamodb unreachable")
        return await super().read(task_id, after, limit)


@pytest.fixture
def log(world) -> CountingLog:
    return CountingLog(world.log)


def _append(world, task_id: str, kind: str) -> None:
    world.log.append(task_id, [EventDraft(type=EventType(kind))])


async def _collect(hub: EventHub, task_id: str, after: int, seen: list[int]) -> None:
    async with hub.subscribe(task_id, after, POLL_S) as sub:
        while True:
            events = await sub.next(timeout=5)
            seen += [e.seq for e in events]
            if events and events[-1].terminal:
                return


async def test_hub_fifty_subscribers_share_one_poller_and_each_get_all(world, log):
    task = world.new_task()
    hub = EventHub(log)
    seen: list[list[int]] = [[] for _ in range(50)]
    readers = [asyncio.ensure_future(_collect(hub, task.task_id, 0, s)) for s in seen]
    await asyncio.sleep(0.2)  # all subscribed and idle: the log is polled by one loop, not fifty
    idle_reads = log.reads

    for kind in ["task_started", "log", "progress", "task_completed"]:
        _append(world, task.task_id, kind)
        await asyncio.sleep(0.02)
    await asyncio.wait_for(asyncio.gather(*readers), 5)

    assert idle_reads <= 0.2 / POLL_S + 5
    assert all(s == [1, 2, 3, 4, 5] for s in seen)
    assert hub.active_feeds == 0


async def test_hub_late_subscriber_with_earlier_cursor_gets_backlog_then_live(world, log):
    task = world.new_task()
    for kind in ["task_started", "log", "log"]:
        _append(world, task.task_id, kind)  # seqs 2-4
    hub = EventHub(log)
    early, late = [], []

    first = asyncio.ensure_future(_collect(hub, task.task_id, 3, early))
    await asyncio.sleep(0.05)
    _append(world, task.task_id, "progress")  # 5: now buffered, so the feed's start is proven
    await asyncio.sleep(0.05)
    second = asyncio.ensure_future(_collect(hub, task.task_id, 1, late))
    await asyncio.sleep(0.05)
    _append(world, task.task_id, "task_completed")  # 6
    await asyncio.wait_for(asyncio.gather(first, second), 5)

    assert early == [4, 5, 6]
    assert late == [2, 3, 4, 5, 6]


async def test_hub_subscriber_beyond_the_log_does_not_hide_events_from_others(world, log):
    task = world.new_task()
    hub = EventHub(log)
    ahead, behind = [], []

    async def ahead_reader():
        async with hub.subscribe(task.task_id, 1000, POLL_S) as sub:
            ahead.extend(e.seq for e in await sub.next(timeout=0.3))

    first = asyncio.ensure_future(ahead_reader())  # a bogus Last-Event-ID opens the feed first
    await asyncio.sleep(0.05)
    second = asyncio.ensure_future(_collect(hub, task.task_id, 0, behind))
    await asyncio.sleep(0.05)
    _append(world, task.task_id, "task_cancelled")
    await asyncio.wait_for(asyncio.gather(first, second), 5)

    assert behind == [1, 2]
    assert ahead == []


async def test_tail_consumer_cancelled_releases_the_feed(world, log):
    task = world.new_task()
    hub = EventHub(log)
    settings = Settings(sse_poll_ms=10, sse_heartbeat_s=5)
    chunks: list[bytes] = []

    async def never_finished(_: int) -> bool:
        return False

    async def consume():
        async for chunk in tail(hub, task.task_id, 0, settings, never_finished):
            chunks.append(chunk)

    consumer = asyncio.ensure_future(consume())
    await asyncio.sleep(0.1)
    assert hub.active_feeds == 1
    consumer.cancel()  # what Starlette does when the client disconnects
    await asyncio.gather(consumer, return_exceptions=True)
    reads = log.reads
    await asyncio.sleep(0.1)

    assert hub.active_feeds == 0
    assert log.reads == reads  # the poller stopped with its last subscriber
    assert chunks[0] == b"retry: 2000\n\n" and chunks[1].startswith(b"id: 1\n")


async def test_tail_poller_failure_ends_stream_and_next_subscriber_gets_new_feed(world, log):
    task = world.new_task()
    hub = EventHub(log)
    settings = Settings(sse_poll_ms=10, sse_heartbeat_s=5)
    log.fail_after = 2

    async def never_finished(_: int) -> bool:
        return False

    chunks = [c async for c in tail(hub, task.task_id, 0, settings, never_finished)]
    log.fail_after = None
    _append(world, task.task_id, "task_failed")
    again = [c async for c in tail(hub, task.task_id, 1, settings, never_finished)]

    assert chunks[0] == b"retry: 2000\n\n" and chunks[1].startswith(b"id: 1\n") and len(chunks) == 2
    assert again[-1].startswith(b"id: 2\nevent: task_failed\n")
    assert hub.active_feeds == 0
