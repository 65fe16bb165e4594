"""The per-owner cap on open streams at the route: 429 with Retry-After beyond it, leases released however a
stream ends. (The cap across processes is the leases' contract: tests/unit/store/test_stream_leases.py.)"""

from __future__ import annotations

import asyncio
import uuid

import anyio
import pytest

from investmind.adapters.memory_leases import MemoryStreamLeases
from investmind.api.sse import leased
from investmind.services.streams import StreamCap

pytestmark = pytest.mark.anyio

LIMIT = 3


@pytest.fixture
def leases(world) -> MemoryStreamLeases:
    world.configure(max_streams_per_owner=LIMIT, sse_mode="bounded", sse_bounded_wait_s=0.05)
    return world.app.state.backend.opened.leases


async def _fill(leases: MemoryStreamLeases, owner: str, count: int) -> list[str]:
    ids = [uuid.uuid4().hex for _ in range(count)]
    for lease_id in ids:
        assert await leases.acquire(owner, lease_id, LIMIT, 60) is None
    return ids


async def test_stream_beyond_the_owners_open_streams_is_429_with_retry_after(client, world, leases, expect_error):
    task = world.new_task()
    await _fill(leases, world.caller, LIMIT)

    response = await client.get(f"/v1/analyses/{task.task_id}/stream")

    error = expect_error(response, 429, "too_many_requests")
    assert 1 <= int(response.headers["retry-after"]) <= 60
    assert error["details"]["limit"] == LIMIT
    assert leases.held(world.caller) == LIMIT
    world.as_caller("another-owner")  # the cap is per owner
    other = world.new_task()
    assert (await client.get(f"/v1/analyses/{other.task_id}/stream")).status_code == 200


async def test_stream_holds_a_lease_while_open_and_releases_it_at_the_end(client, world, leases):
    task = world.new_task()
    held = await _fill(leases, world.caller, LIMIT - 1)

    assert (await client.get(f"/v1/analyses/{task.task_id}/stream")).status_code == 200
    assert leases.held(world.caller) == LIMIT - 1  # the bounded response ended: its lease went with it

    await leases.release(world.caller, held[0])
    assert (await client.get(f"/v1/analyses/{task.task_id}/stream")).status_code == 200


async def test_ended_stream_answers_204_without_a_lease(client, world, leases):
    task = world.new_task()
    world.append(task.task_id, "task_completed")
    await _fill(leases, world.caller, LIMIT)

    response = await client.get(f"/v1/analyses/{task.task_id}/stream", headers={"Last-Event-ID": "2"})

    assert response.status_code == 204


class NetworkLeases(MemoryStreamLeases):
    """Memory leases whose release waits as a network call does (a cancelled scope would cancel it there)."""

    async def release(self, owner: str, lease_id: str) -> None:
        await asyncio.sleep(0)
        await super().release(owner, lease_id)


async def test_lease_released_when_the_response_is_cancelled_mid_stream():
    leases = NetworkLeases()
    stream = await StreamCap(leases, LIMIT, 60).open("viewer")
    sent = asyncio.Event()

    async def forever():
        yield b"retry: 2000\n\n"
        await asyncio.Event().wait()  # a quiet stream, until the client goes away
        yield b"never"

    async def respond() -> None:
        async for _ in leased(forever(), stream):
            sent.set()

    async with anyio.create_task_group() as group:
        group.start_soon(respond)
        await sent.wait()
        assert leases.held("viewer") == 1
        group.cancel_scope.cancel()  # what a disconnect does to the response

    assert leases.held("viewer") == 0


async def test_long_stream_renews_its_lease():
    class Clock:
        now = 0.0

        def __call__(self) -> float:
            return self.now

    clock = Clock()
    leases = MemoryStreamLeases(clock)
    stream = await StreamCap(leases, LIMIT, 60, clock).open("viewer")

    async def frames():
        for _ in range(5):
            clock.now += 25  # a heartbeat every 25 s, past the 60 s a lease lasts unrenewed
            yield b": heartbeat\n\n"

    async for _ in leased(frames(), stream):
        assert leases.held("viewer") == 1

    assert leases.held("viewer") == 0
