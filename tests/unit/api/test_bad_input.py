"""Input that used to answer 500: each is now a 400/422 in the error shape, and changes nothing."""

from __future__ import annotations

import base64
import json

import pytest

from investmind.models import MAX_SEQ

pytestmark = pytest.mark.anyio

BAD_LAST_EVENT_IDS = {
    # Header bytes reach the app as latin-1: b"\xb2" is "²", which str.isdigit() accepts and int() refuses.
    "superscript two": "²".encode("latin-1"),
    "superscript two, utf-8": "²".encode(),
    "arabic-indic three, utf-8": "٣".encode(),
    "five thousand digits": "7" * 5000,  # past int()'s 4,300-digit limit
    "past the largest seq": str(MAX_SEQ + 1),
    "past dynamodb's 38 digits": "9" * 39,
    "negative": "-1",
    "decimal": "1.5",
    "hex": "0x10",
}
BAD_AFTERS = ["1" + "0" * 40, str(MAX_SEQ + 1), "7" * 5000, "-1", "abc", "1e3", "²"]
BAD_LIMITS = ["0", "-5", "1001", "1" + "0" * 40, "7" * 5000, "ten", "1.5"]


@pytest.fixture
def running(world) -> str:
    task = world.new_task()
    world.append(task.task_id, "task_started", "log")
    return task.task_id


def _unchanged(world, task_id: str, before: list[int]) -> None:
    assert world.seqs(task_id) == before and world.task_count() == 1 and world.queue.sent == []


@pytest.mark.parametrize("value", BAD_LAST_EVENT_IDS.values(), ids=BAD_LAST_EVENT_IDS.keys())
async def test_stream_bad_last_event_id_is_400(client, world, running, expect_error, value):
    response = await client.get(f"/v1/analyses/{running}/stream", headers={"Last-Event-ID": value})

    error = expect_error(response, 400, "invalid_request")
    assert len(error["details"]["last_event_id"]) <= 32  # never the 5,000 digits echoed back
    _unchanged(world, running, [1, 2, 3])


@pytest.mark.parametrize("route", ["stream", "events"])
@pytest.mark.parametrize("after", BAD_AFTERS)
async def test_bad_after_is_422(client, world, running, expect_error, route, after):
    response = await client.get(f"/v1/analyses/{running}/{route}", params={"after": after})

    expect_error(response, 422, "validation_error")
    _unchanged(world, running, [1, 2, 3])


@pytest.mark.parametrize("path", ["/v1/analyses", "/v1/analyses/{task}/events"])
@pytest.mark.parametrize("limit", BAD_LIMITS)
async def test_bad_limit_is_422(client, world, running, expect_error, path, limit):
    response = await client.get(path.format(task=running), params={"limit": limit})

    expect_error(response, 422, "validation_error")
    _unchanged(world, running, [1, 2, 3])


async def test_largest_seq_is_accepted(client, running):
    response = await client.get(f"/v1/analyses/{running}/events", params={"after": MAX_SEQ})

    assert response.status_code == 200 and response.json() == {"events": [], "next_after": None}


def _cursor(key: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["%%%", "\u00e9t\u00e9", base64.urlsafe_b64encode(b"\xff\xfe").decode(), _cursor([1, 2]),
     _cursor({"owner": "{owner}", "created_at": "", "task_id": "0" * 32}),
     _cursor({"owner": "{owner}", "created_at": "2025-01-01T00:00:00.000Z", "task_id": "not-a-task"})],
    ids=["not base64", "not ascii", "not utf-8", "not an object", "empty created_at", "malformed task id"],
)  # fmt: skip
async def test_bad_list_cursor_is_400(client, world, running, expect_error, cursor):
    response = await client.get("/v1/analyses", params={"cursor": cursor.replace("{owner}", world.caller)})

    expect_error(response, 400, "invalid_request")
