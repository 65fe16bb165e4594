"""Per-owner quotas on submit: beyond them 429 with ``Retry-After`` and the error shape, and nothing created."""

from __future__ import annotations

import datetime as dt

import pytest

from investmind.models import TaskStatus

pytestmark = pytest.mark.anyio


def _iso(ago: dt.timedelta) -> str:
    return (dt.datetime.now(dt.UTC) - ago).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def _submit(client):
    return await client.post("/v1/analyses", json={"symbol": "600519"})


async def test_active_quota_refuses_with_retry_after_and_creates_nothing(client, world, expect_error):
    world.configure(max_active_per_owner=2)
    accepted = [await _submit(client) for _ in range(2)]
    assert [r.status_code for r in accepted] == [202, 202]

    refused = await _submit(client)

    error = expect_error(refused, 429, "too_many_requests")
    assert error["details"]["quota"] == "active" and int(refused.headers["retry-after"]) > 0
    assert world.task_count() == 2 and len(world.queue.sent) == 2
    world.as_caller("another-owner")  # a quota is per owner
    assert (await _submit(client)).status_code == 202


async def test_active_quota_frees_up_when_an_analysis_ends(client, world):
    world.configure(max_active_per_owner=1)
    first = (await _submit(client)).json()["task_id"]
    assert (await _submit(client)).status_code == 429

    world.mark(first, TaskStatus.SUCCEEDED)

    assert (await _submit(client)).status_code == 202


async def test_daily_quota_counts_the_last_24_hours_and_says_when(client, world, expect_error):
    world.configure(max_daily_per_owner=3, max_active_per_owner=100)
    world.new_task(created_at=_iso(dt.timedelta(hours=30)))  # outside the window
    for hours in (23, 2, 1):
        world.mark(world.new_task(created_at=_iso(dt.timedelta(hours=hours))).task_id, TaskStatus.SUCCEEDED)

    refused = await _submit(client)

    error = expect_error(refused, 429, "too_many_requests")
    assert error["details"]["quota"] == "daily"
    # The oldest of the three in the window leaves it in about an hour.
    assert 3000 < int(refused.headers["retry-after"]) <= 3601
    assert world.task_count() == 4 and world.queue.sent == []
