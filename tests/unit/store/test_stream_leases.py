"""The stream leases' contract (``services.ports.StreamLeases``), in memory and on DynamoDB behind a moto server.

Two adapter instances on one table stand for two API processes: the cap must hold across them.
"""

from __future__ import annotations

import uuid
from typing import Any

import anyio
import pytest

from investmind.adapters.dynamodb.leases import AsyncDynamoStreamLeases
from investmind.adapters.memory_leases import MemoryStreamLeases

from .conftest import aio_client

pytestmark = pytest.mark.anyio

TTL_S = 60


class Clock:
    """Epoch seconds that move only when a test moves them."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "dynamodb"])
async def processes(request: pytest.FixtureRequest) -> Any:
    """(clock, two lease stores sharing one backing store) for each adapter."""
    clock = Clock()
    if request.param == "memory":
        shared = MemoryStreamLeases(clock)
        yield clock, shared, shared  # one process: memory leases do not cross processes
        return
    tasks_table, _ = request.getfixturevalue("server_tables")
    async with (
        aio_client(request.getfixturevalue("moto_server")) as one,
        aio_client(request.getfixturevalue("moto_server")) as two,
    ):
        yield clock, AsyncDynamoStreamLeases(tasks_table, one, clock), AsyncDynamoStreamLeases(tasks_table, two, clock)


def lease() -> str:
    return uuid.uuid4().hex


async def test_acquire_up_to_limit_across_processes_then_refuses_with_the_wait(processes):
    clock, first, second = processes
    owner = f"owner-{lease()[:6]}"
    assert await first.acquire(owner, lease(), 3, TTL_S) is None
    clock.now += 10
    assert await second.acquire(owner, lease(), 3, TTL_S) is None
    assert await first.acquire(owner, lease(), 3, TTL_S) is None

    wait = await second.acquire(owner, lease(), 3, TTL_S)

    assert wait == pytest.approx(TTL_S - 10)  # the oldest lease runs out first
    assert await first.acquire(f"other-{owner}", lease(), 3, TTL_S) is None  # per owner


async def test_release_frees_a_slot_for_the_other_process(processes):
    _, first, second = processes
    owner = f"owner-{lease()[:6]}"
    held = lease()
    assert await first.acquire(owner, held, 1, TTL_S) is None
    assert await second.acquire(owner, lease(), 1, TTL_S) is not None

    await first.release(owner, held)
    await first.release(owner, held)  # twice: a no-op

    assert await second.acquire(owner, lease(), 1, TTL_S) is None


async def test_lease_of_a_dead_process_runs_out_unless_renewed(processes):
    clock, first, second = processes
    owner = f"owner-{lease()[:6]}"
    dead, alive = lease(), lease()
    assert await first.acquire(owner, dead, 2, TTL_S) is None
    assert await first.acquire(owner, alive, 2, TTL_S) is None
    clock.now += TTL_S - 1
    assert await first.renew(owner, alive, TTL_S)
    assert await second.acquire(owner, lease(), 2, TTL_S) is not None

    clock.now += 2  # the unrenewed lease has run out; the renewed one has not

    assert await second.acquire(owner, lease(), 2, TTL_S) is None
    assert await second.acquire(owner, lease(), 2, TTL_S) is not None
    assert not await first.renew(owner, dead, TTL_S)  # pruned: gone for good


async def test_concurrent_acquires_never_pass_the_limit(processes):
    _, first, second = processes
    owner = f"owner-{lease()[:6]}"
    taken: list[bool] = []

    async def take(store: Any) -> None:
        taken.append(await store.acquire(owner, lease(), 4, TTL_S) is None)

    async with anyio.create_task_group() as group:
        for i in range(10):
            group.start_soon(take, first if i % 2 else second)

    assert taken.count(True) == 4 and len(taken) == 10


async def test_dynamodb_lease_item_stays_out_of_the_owner_index_and_expires(server_tables, moto_server):
    tasks_table, _ = server_tables
    clock = Clock()
    async with aio_client(moto_server) as client:
        await AsyncDynamoStreamLeases(tasks_table, client, clock).acquire("alice", "l1", 2, TTL_S)
        item = (await client.get_item(TableName=tasks_table, Key={"task_id": {"S": "leases#alice"}}))["Item"]

    assert "owner" not in item and "created_at" not in item
    assert int(item["expires_at"]["N"]) > clock.now + TTL_S
