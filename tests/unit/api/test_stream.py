"""GET /v1/analyses/{id}/stream: frames, resume, both SSE modes, and the end of a stream."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from httpx_sse import aconnect_sse

from investmind.models import TaskStatus

pytestmark = pytest.mark.anyio


async def _read(client, task_id: str, headers=None, params=None):
    """(response, the SSE events with an id) of one stream request, parsed by httpx-sse."""
    url = f"/v1/analyses/{task_id}/stream"
    async with aconnect_sse(client, "GET", url, headers=headers or {}, params=params or {}) as source:
        events = [sse async for sse in source.aiter_sse()]
    return source.response, events


def _later(delay_s: float, action) -> asyncio.Task:
    async def run():
        await asyncio.sleep(delay_s)
        action()

    return asyncio.ensure_future(run())


@pytest.fixture
def ended(world) -> str:
    """A task whose log is complete: queued, started, a log line, completed (seq 1-4)."""
    task = world.new_task()
    world.append(task.task_id, "task_started", "log", "task_completed")
    return task.task_id


async def test_stream_frames_are_formatted_and_parse_back(client, ended):
    raw = await client.get(f"/v1/analyses/{ended}/stream")
    response, events = await _read(client, ended)

    assert raw.status_code == 200
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert raw.headers["cache-control"] == "no-cache"
    frames = raw.text.split("\n\n")
    assert frames[0] == "retry: 2000" and frames[-1] == ""
    id_line, event_line, data_line = frames[1].split("\n")
    assert (id_line, event_line) == ("id: 1", "event: task_queued")
    assert json.loads(data_line.removeprefix("data: "))["task_id"] == ended
    assert events[0].retry == 2000
    framed = [sse for sse in events if sse.data]
    assert [(sse.id, sse.event) for sse in framed] == [
        ("1", "task_queued"),
        ("2", "task_started"),
        ("3", "log"),
        ("4", "task_completed"),
    ]
    envelopes = [sse.json() for sse in framed]
    assert [e["seq"] for e in envelopes] == [1, 2, 3, 4]
    assert set(envelopes[2]) == {"seq", "task_id", "type", "ts", "stage", "agent_id", "data"}


async def test_stream_reconnect_last_event_id_no_duplicates(client, ended):
    _, first = await _read(client, ended, params={"after": 0})
    _, resumed = await _read(client, ended, headers={"Last-Event-ID": "2"})

    assert [sse.id for sse in resumed if sse.data] == ["3", "4"]
    assert [sse.id for sse in first if sse.data] == ["1", "2", "3", "4"]


async def test_stream_last_event_id_header_wins_over_after(client, ended):
    _, events = await _read(client, ended, headers={"Last-Event-ID": "3"}, params={"after": 1})

    assert [sse.id for sse in events if sse.data] == ["4"]


async def test_stream_malformed_last_event_id_returns_400(client, ended, expect_error):
    response = await client.get(f"/v1/analyses/{ended}/stream", headers={"Last-Event-ID": "abc"})

    expect_error(response, 400, "invalid_request")


async def test_stream_live_events_arrive_in_order_until_terminal(client, world):
    task = world.new_task()
    kinds = ["task_started", "stage_started", "agent_started", "log", "agent_completed", "progress", "task_completed"]

    def produce():
        for kind in kinds:
            world.append(task.task_id, kind)

    writer = _later(0.05, produce)
    response, events = await _read(client, task.task_id)
    await writer

    assert response.status_code == 200
    assert [sse.event for sse in events if sse.data] == ["task_queued", *kinds]
    assert [int(sse.id) for sse in events if sse.data] == list(range(1, 9))


async def test_stream_idle_sends_heartbeat_comments(client, world):
    world.configure(sse_heartbeat_s=0.05)
    task = world.new_task()
    # Twenty heartbeat intervals before the terminal event: two heartbeats arrive even on a loaded machine.
    writer = _later(1.0, lambda: world.append(task.task_id, "task_cancelled"))

    raw = await client.get(f"/v1/analyses/{task.task_id}/stream", headers={"Last-Event-ID": "1"})
    await writer

    assert raw.text.count(": heartbeat\n\n") >= 2
    assert "event: task_cancelled" in raw.text.split(": heartbeat\n\n")[-1]


async def test_stream_after_terminal_returns_204(client, world, ended):
    world.mark(ended, TaskStatus.SUCCEEDED)

    response = await client.get(f"/v1/analyses/{ended}/stream", headers={"Last-Event-ID": "4"})

    assert response.status_code == 204


async def test_stream_at_terminal_before_projection_catches_up_returns_204(client, world, ended):
    response = await client.get(f"/v1/analyses/{ended}/stream", headers={"Last-Event-ID": "4"})

    assert response.status_code == 204  # seq 4 is task_completed: the log itself says nothing follows


async def test_stream_past_log_end_ends_when_projection_catches_up(client, world, ended):
    world.configure(sse_heartbeat_s=0.05)
    catch_up = _later(0.2, lambda: world.mark(ended, TaskStatus.SUCCEEDED))

    started = time.monotonic()
    response, events = await _read(client, ended, headers={"Last-Event-ID": "9"})  # beyond the log's end
    await catch_up

    assert response.status_code == 200
    assert [sse for sse in events if sse.data] == []
    assert time.monotonic() - started < 2.0


async def test_stream_bounded_returns_within_wait_with_events_after_last_event_id(client, world):
    world.configure(sse_mode="bounded", sse_bounded_wait_s=1.0, sse_linger_s=0.05)
    task = world.new_task()
    world.append(task.task_id, "task_started", "stage_started", "agent_started")

    started = time.monotonic()
    response, events = await _read(client, task.task_id, headers={"Last-Event-ID": "2"})
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert [sse.id for sse in events if sse.data] == ["3", "4"]
    assert elapsed < 0.8  # the events were there: it returned after the linger, not the wait


async def test_stream_bounded_events_arriving_during_wait_are_returned(client, world):
    world.configure(sse_mode="bounded", sse_bounded_wait_s=2.0, sse_linger_s=0.1)
    task = world.new_task()
    writer = _later(0.1, lambda: world.append(task.task_id, "task_started", "log"))

    started = time.monotonic()
    _, events = await _read(client, task.task_id, headers={"Last-Event-ID": "1"})
    await writer

    assert [sse.event for sse in events if sse.data] == ["task_started", "log"]
    assert time.monotonic() - started < 1.5


async def test_stream_bounded_no_events_returns_heartbeat_after_wait(client, world):
    world.configure(sse_mode="bounded", sse_bounded_wait_s=0.3)
    task = world.new_task()

    started = time.monotonic()
    raw = await client.get(f"/v1/analyses/{task.task_id}/stream", headers={"Last-Event-ID": "1"})
    elapsed = time.monotonic() - started

    assert raw.text == "retry: 2000\n\n: heartbeat\n\n"
    assert 0.25 <= elapsed < 10  # it waited the bounded wait out, and then returned (no hang)


async def test_stream_bounded_terminal_event_returns_at_once(client, world, ended):
    world.configure(sse_mode="bounded", sse_bounded_wait_s=60.0, sse_linger_s=30.0)

    started = time.monotonic()
    _, events = await _read(client, ended)

    assert [sse.id for sse in events if sse.data] == ["1", "2", "3", "4"]
    assert time.monotonic() - started < 15  # not the 30 s linger: the terminal event ends the response


async def test_stream_bounded_reconnects_collect_every_event_once(client, world):
    world.configure(sse_mode="bounded", sse_bounded_wait_s=0.2, sse_linger_s=0.02)
    task = world.new_task()

    async def produce():
        for kind in ["task_started", "log", "log", "progress", "log", "task_completed"]:
            await asyncio.sleep(0.03)
            world.append(task.task_id, kind)

    writer = asyncio.ensure_future(produce())
    seen: list[int] = []
    for _ in range(50):  # a client reconnecting with Last-Event-ID, as EventSource does
        _, events = await _read(client, task.task_id, headers={"Last-Event-ID": str(seen[-1] if seen else 0)})
        seen += [int(sse.id) for sse in events if sse.data]
        if events and events[-1].event == "task_completed":
            break
    await writer

    assert seen == list(range(1, 8))
