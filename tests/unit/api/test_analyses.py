"""POST/GET /v1/analyses, cancel, and the error shape of every rejection."""

from __future__ import annotations

import datetime as dt
import json

import httpx
import pytest

from investmind.api.deps import get_catalog
from investmind.models import EventType, TaskStatus

pytestmark = pytest.mark.anyio

VALID = {"symbol": "600519"}


async def test_create_analysis_valid_body_returns_202_and_queues_one_start(client, world):
    body = {"symbol": "sh.600519", "as_of": "2024-12-31", "priority": "high", "agents": ["technical", "macro"]}

    response = await client.post("/v1/analyses", json=body)

    assert response.status_code == 202, response.text
    answer = response.json()
    task_id = answer["task_id"]
    assert len(task_id) == 32 and int(task_id, 16) >= 0
    assert answer["status"] == "QUEUED"
    base = f"/v1/analyses/{task_id}"
    assert answer["links"] == {
        "self": base,
        "events": f"{base}/events",
        "stream": f"{base}/stream",
        "cancel": f"{base}/cancel",
    }
    assert response.headers["location"] == base
    [start] = world.queue.sent
    assert (start.task_id, start.owner, start.symbol, start.priority) == (task_id, world.caller, "600519.SH", "high")
    assert start.as_of == dt.date(2024, 12, 31)
    assert start.agents == ["macro", "technical"]  # roster order
    [queued] = world.log.read(task_id)
    assert (queued.seq, queued.type) == (1, EventType.task_queued)
    assert queued.data == {"symbol": "600519.SH", "as_of": "2024-12-31", "priority": "high", "agents": start.agents}
    task = world.tasks.get(task_id, world.caller)
    assert (task.status, task.owner) == (TaskStatus.QUEUED, world.caller)


TOMORROW = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=2)).isoformat()
BAD_REQUESTS = {
    "malformed_json": (b'{"symbol": "600519",', {}, 400, "malformed_json"),
    "missing_symbol": (b"{}", {}, 422, "validation_error"),
    "malformed_symbol": (b'{"symbol": "60051X"}', {}, 422, "validation_error"),
    "market_contradicts_symbol": (b'{"symbol": "600519.SH", "market": "SZ"}', {}, 422, "validation_error"),
    "unknown_priority": (b'{"symbol": "600519", "priority": "urgent"}', {}, 422, "validation_error"),
    "as_of_in_future": (json.dumps({"symbol": "600519", "as_of": TOMORROW}).encode(), {}, 422, "validation_error"),
    "unknown_agent": (b'{"symbol": "600519", "agents": ["macro", "astrologer"]}', {}, 422, "validation_error"),
    "stage2_agent": (b'{"symbol": "600519", "agents": ["investment_gm"]}', {}, 422, "validation_error"),
    "unknown_field": (b'{"symbol": "600519", "colour": "red"}', {}, 422, "validation_error"),
    "unknown_symbol": (b'{"symbol": "600000"}', {}, 422, "unknown_symbol"),
    "body_over_16kb": (json.dumps({"symbol": "600519", "pad": "x" * 17_000}).encode(), {}, 413, "payload_too_large"),
    "bad_idempotency_key": (b'{"symbol": "600519"}', {"Idempotency-Key": "has space"}, 422, "validation_error"),
}


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=list(BAD_REQUESTS))
async def test_create_analysis_bad_request_returns_error_and_creates_nothing(client, world, expect_error, case):
    content, headers, status, code = BAD_REQUESTS[case]

    response = await client.post(
        "/v1/analyses", content=content, headers={"Content-Type": "application/json", **headers}
    )

    error = expect_error(response, status, code)
    json.dumps(error)  # details are JSON all the way down
    assert world.task_count() == 0
    assert world.queue.sent == []


async def test_create_analysis_validation_error_details_name_the_field(client, expect_error):
    response = await client.post("/v1/analyses", json={"symbol": "600519", "priority": "urgent"})

    error = expect_error(response, 422, "validation_error")
    assert [d["loc"] for d in error["details"]] == [["body", "priority"]]


async def test_create_analysis_unknown_symbol_details_list_known_symbols(client, expect_error):
    error = expect_error(await client.post("/v1/analyses", json={"symbol": "600000"}), 422, "unknown_symbol")

    assert error["details"] == {"symbol": "600000.SH", "known": ["000001.SZ", "600519.SH"]}


async def test_create_analysis_chunked_body_over_16kb_returns_413(client, world, expect_error):
    async def chunks():
        for _ in range(20):
            yield b" " * 1024  # no Content-Length: only counting what arrives can catch it

    response = await client.post("/v1/analyses", content=chunks(), headers={"Content-Type": "application/json"})

    expect_error(response, 413, "payload_too_large")
    assert world.queue.sent == []


async def test_create_analysis_enqueue_fails_returns_503_and_task_failed(client, world, expect_error):
    world.queue.error = ConnectionError("sqs is down")

    response = await client.post("/v1/analyses", json=VALID)

    error = expect_error(response, 503, "service_unavailable")
    task_id = error["details"]["task_id"]
    events = world.log.read(task_id)
    assert [e.type for e in events] == [EventType.task_queued, EventType.task_failed]
    assert events[-1].data == {"error": "could not enqueue", "error_type": "ConnectionError"}


async def test_create_analysis_same_idempotency_key_returns_same_task(client, world):
    headers = {"Idempotency-Key": "key-1"}

    first = await client.post("/v1/analyses", json=VALID, headers=headers)
    # The same request, spelt otherwise: the fingerprint is of the validated request, not of its bytes.
    same = {"priority": "normal", "symbol": VALID["symbol"] + ".SH"}
    second = await client.post("/v1/analyses", json=same, headers=headers)

    assert first.status_code == second.status_code == 202
    assert first.json()["task_id"] == second.json()["task_id"]
    assert world.task_count() == 1
    assert world.seqs(first.json()["task_id"]) == [1]
    # Still QUEUED, so the replay sends the original request again (the starter ignores duplicates).
    assert [(s.task_id, s.symbol) for s in world.queue.sent] == [(first.json()["task_id"], "600519.SH")] * 2


@pytest.mark.parametrize(
    "other",
    [{"symbol": "000001"}, {"symbol": "600519", "priority": "high"}, {"symbol": "600519", "agents": ["macro"]},
     {"symbol": "600519", "as_of": "2024-01-02"}],
)  # fmt: skip
async def test_create_analysis_reused_idempotency_key_other_body_is_422_and_creates_nothing(
    client, world, expect_error, other
):
    headers = {"Idempotency-Key": "key-reused"}
    first = await client.post("/v1/analyses", json=VALID, headers=headers)

    second = await client.post("/v1/analyses", json=other, headers=headers)

    error = expect_error(second, 422, "idempotency_key_reused")
    assert error["details"] == {"idempotency_key": "key-reused"}
    assert world.task_count() == 1 and len(world.queue.sent) == 1
    assert world.seqs(first.json()["task_id"]) == [1]


async def test_create_analysis_replay_after_enqueue_failure_returns_failed_without_send(client, world):
    headers = {"Idempotency-Key": "key-2"}
    world.queue.error = ConnectionError("sqs is down")
    first = await client.post("/v1/analyses", json=VALID, headers=headers)
    world.queue.error = None

    second = await client.post("/v1/analyses", json=VALID, headers=headers)

    assert first.status_code == 503
    assert (second.status_code, second.json()["status"]) == (202, "FAILED")
    assert world.queue.sent == []


async def test_create_analysis_same_key_other_caller_gets_own_task(client, world):
    first = await client.post("/v1/analyses", json=VALID, headers={"Idempotency-Key": "shared"})
    world.as_caller("someone-else")
    second = await client.post("/v1/analyses", json=VALID, headers={"Idempotency-Key": "shared"})

    assert first.json()["task_id"] != second.json()["task_id"]


async def test_get_analysis_own_task_returns_projection(client, world):
    task_id = (await client.post("/v1/analyses", json=VALID)).json()["task_id"]

    response = await client.get(f"/v1/analyses/{task_id}")

    assert response.status_code == 200
    assert response.json()["task_id"] == task_id
    assert response.json()["status"] == "QUEUED"


@pytest.mark.parametrize("task_id", ["0" * 32, "not-a-task", "A" * 32, "0" * 33])
async def test_get_analysis_unknown_or_malformed_id_returns_404(client, expect_error, task_id):
    expect_error(await client.get(f"/v1/analyses/{task_id}"), 404, "not_found")


@pytest.mark.parametrize("suffix", ["", "/events", "/stream"])
async def test_analysis_other_owners_task_returns_404(client, world, expect_error, suffix):
    task = world.new_task(owner="mallory")

    expect_error(await client.get(f"/v1/analyses/{task.task_id}{suffix}"), 404, "not_found")
    expect_error(await client.post(f"/v1/analyses/{task.task_id}/cancel"), 404, "not_found")
    assert world.seqs(task.task_id) == [1]


async def test_list_analyses_returns_own_newest_first_with_cursor(client, world):
    mine = [world.new_task(created_at=f"2025-01-0{day}T00:00:00.000Z").task_id for day in (1, 2, 3)]
    world.new_task(owner="mallory")

    first = (await client.get("/v1/analyses", params={"limit": 2})).json()
    second = (await client.get("/v1/analyses", params={"limit": 2, "cursor": first["next_cursor"]})).json()

    listed = [t["task_id"] for t in first["items"] + second["items"]]
    assert listed == mine[::-1]
    assert second["next_cursor"] is None


async def test_list_analyses_status_filter_keeps_matching(client, world):
    done = world.new_task()
    world.append(done.task_id, "task_completed")
    world.mark(done.task_id, TaskStatus.SUCCEEDED)
    world.new_task()

    page = (await client.get("/v1/analyses", params={"status": "SUCCEEDED"})).json()

    assert [t["task_id"] for t in page["items"]] == [done.task_id]


@pytest.mark.parametrize("form", ["000858", "000858.SZ", "sz.000858", "000858.sz"])
async def test_list_analyses_symbol_filter_takes_any_submitted_form(client, world, form):
    wuliangye = world.new_task(symbol="000858.SZ")
    world.new_task(symbol="600519.SH")
    world.new_task(owner="mallory", symbol="000858.SZ")

    page = (await client.get("/v1/analyses", params={"symbol": form})).json()

    assert [t["task_id"] for t in page["items"]] == [wuliangye.task_id]


@pytest.mark.parametrize("symbol", ["not-a-symbol", "12345", "600519.XX"])
async def test_list_analyses_malformed_symbol_filter_returns_400(client, world, expect_error, symbol):
    expect_error(await client.get("/v1/analyses", params={"symbol": symbol}), 400, "invalid_request")


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 101}, {"status": "DONE"}, {"symbol": "6" * 17}])
async def test_list_analyses_bad_query_returns_422(client, expect_error, params):
    expect_error(await client.get("/v1/analyses", params=params), 422, "validation_error")


async def test_list_analyses_foreign_cursor_returns_400(client, world, expect_error):
    world.as_caller("mallory")
    for _ in range(2):
        world.new_task()
    cursor = (await client.get("/v1/analyses", params={"limit": 1})).json()["next_cursor"]
    world.as_caller("alice")

    expect_error(await client.get("/v1/analyses", params={"cursor": cursor}), 400, "invalid_request")


async def test_cancel_analysis_twice_appends_one_task_cancelled_and_stops_once(client, world):
    task_id = (await client.post("/v1/analyses", json=VALID)).json()["task_id"]

    first = await client.post(f"/v1/analyses/{task_id}/cancel")
    second = await client.post(f"/v1/analyses/{task_id}/cancel")

    assert first.status_code == second.status_code == 202
    assert first.json()["status"] == second.json()["status"] == "CANCELLED"
    events = world.log.read(task_id)
    assert [e.type for e in events].count(EventType.task_cancelled) == 1
    assert events[-1].data == {"reason": f"cancelled by {world.caller}"}
    assert world.executions.stopped == [(task_id, f"cancelled by {world.caller}")]


async def test_cancel_analysis_already_ended_returns_its_status_and_appends_nothing(client, world):
    task = world.new_task()
    world.append(task.task_id, "task_started", "task_completed")
    world.mark(task.task_id, TaskStatus.SUCCEEDED)

    response = await client.post(f"/v1/analyses/{task.task_id}/cancel")

    assert (response.status_code, response.json()["status"]) == (202, "SUCCEEDED")
    assert world.seqs(task.task_id) == [1, 2, 3]
    assert world.executions.stopped == []


async def test_cancel_analysis_ended_before_projection_caught_up_reports_log_status(client, world):
    task = world.new_task()
    world.append(task.task_id, "task_started", "task_failed")  # the projection still says QUEUED

    response = await client.post(f"/v1/analyses/{task.task_id}/cancel")

    assert (response.status_code, response.json()["status"]) == (202, "FAILED")
    assert world.seqs(task.task_id) == [1, 2, 3]
    assert world.executions.stopped == []


async def test_cancel_analysis_stop_fails_still_cancelled(client, world):
    world.executions.error = RuntimeError("step functions throttled")
    task = world.new_task()

    response = await client.post(f"/v1/analyses/{task.task_id}/cancel")

    assert (response.status_code, response.json()["status"]) == (202, "CANCELLED")
    assert world.log.read(task.task_id)[-1].type == EventType.task_cancelled


async def test_create_analysis_real_catalog_accepts_its_symbols(client, world):
    market = pytest.importorskip("investmind.market")
    if not callable(getattr(market, "catalog", None)):
        pytest.skip("investmind.market does not export catalog() yet")
    del world.app.dependency_overrides[get_catalog]
    known = sorted(market.catalog())

    accepted = await client.post("/v1/analyses", json={"symbol": known[0]})
    rejected = await client.post("/v1/analyses", json={"symbol": "688999"})

    assert accepted.status_code == 202
    assert rejected.status_code == 422 and rejected.json()["error"]["details"]["known"] == known


async def test_unexpected_error_returns_500_without_traceback(world, expect_error):
    async def broken_list(*args, **kwargs):
        raise RuntimeError("secret internals")

    world.app.state.backend.opened.tasks.list = broken_list
    transport = httpx.ASGITransport(app=world.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/v1/analyses")

    expect_error(response, 500, "internal_error")
    assert "secret" not in response.text and "Traceback" not in response.text


async def test_unknown_route_and_method_return_error_shape(client, expect_error):
    expect_error(await client.get("/v2/nothing"), 404, "not_found")
    response = await client.delete("/v1/analyses")
    expect_error(response, 405, "method_not_allowed")
    assert "allow" in response.headers
