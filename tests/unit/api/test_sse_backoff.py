"""The stream's log poll backs off while nothing happens and snaps back on an event (a fake clock: no sleeping)."""

from __future__ import annotations

import asyncio

import pytest

from investmind.api.sse import EventHub, PollBackoff
from investmind.models import EventDraft, EventType

from .test_sse_hub import CountingLog

pytestmark = pytest.mark.anyio

BASE_S, MAX_S = 0.1, 1.6


class FakePauses:
    """The feed's idle wait on a fake clock: records each wait, runs ``at`` hooks, stops the clock at ``until``."""

    def __init__(self, until: float) -> None:
        self.now = 0.0
        self.waits: list[float] = []
        self.until = until
        self.done = asyncio.Event()
        self.hooks: dict[int, object] = {}

    async def __call__(self, wake: asyncio.Event, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        hook = self.hooks.pop(len(self.waits), None)
        if hook is not None:
            hook()
        if self.now >= self.until:
            self.done.set()
            await asyncio.Event().wait()  # the clock stops here; the feed is cancelled with its last subscriber
        await asyncio.sleep(0)


def reads_in(seconds: float) -> int:
    """Log reads in ``seconds`` of quiet by the rule itself: waits of BASE_S doubling to MAX_S, a read before each."""
    total, wait, reads = 0.0, BASE_S, 0
    while total < seconds:
        reads, total, wait = reads + 1, total + wait, min(wait * 2, MAX_S)
    return reads


def test_backoff_doubles_to_its_ceiling_and_resets_on_events():
    backoff = PollBackoff(BASE_S, MAX_S)

    quiet = [backoff.after(found=False) for _ in range(7)]
    after_event = [backoff.after(found=True), backoff.after(found=False)]

    assert quiet == [0.1, 0.2, 0.4, 0.8, 1.6, 1.6, 1.6]
    assert after_event == [0.1, 0.2]


async def test_quiet_minute_costs_a_fraction_of_the_fixed_polls(world):
    log = CountingLog(world.log)
    task = world.new_task()
    pauses = FakePauses(until=60.0)
    hub = EventHub(log, pause=pauses)

    async with hub.subscribe(task.task_id, 1, BASE_S, MAX_S):
        await pauses.done.wait()

    assert log.reads == len(pauses.waits) == reads_in(60.0)
    assert log.reads < 60 / BASE_S / 10  # under a tenth of the 600 reads a fixed 100 ms poll makes
    assert max(pauses.waits) == MAX_S


async def test_event_resets_the_poll_and_reaches_the_subscriber(world):
    log = CountingLog(world.log)
    task = world.new_task()
    pauses = FakePauses(until=20.0)
    pauses.hooks[5] = lambda: world.log.append(task.task_id, [EventDraft(type=EventType.task_started)])
    hub = EventHub(log, pause=pauses)

    async with hub.subscribe(task.task_id, 1, BASE_S, MAX_S) as sub:
        events = await sub.next(timeout=5)
        await pauses.done.wait()

    assert [e.seq for e in events] == [2]
    assert pauses.waits[:8] == [0.1, 0.2, 0.4, 0.8, 1.6, 0.1, 0.2, 0.4]
