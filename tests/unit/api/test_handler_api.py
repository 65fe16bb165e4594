"""The real ApiFunction handler (Mangum) driven by API Gateway HTTP API (payload 2.0) events, on memory stores."""

from __future__ import annotations

import asyncio
import importlib
import json
import types
import uuid

import pytest

from investmind.adapters.memory import AsyncMemoryEventLog, AsyncMemoryTaskStore
from investmind.adapters.memory_keys import AsyncMemoryKeyStore
from investmind.api.deps import Backend
from investmind.auth import ApiKeys, Caller
from investmind.composition import api as composition_api
from investmind.models import EventDraft, EventType, Task, utc_now_iso
from investmind.settings import get_settings
from tests.events import http_api_event

CONTEXT = types.SimpleNamespace(function_name="ApiFunction", aws_request_id="req-1", get_remaining_time_in_millis=None)


@pytest.fixture
def lambda_env(monkeypatch, world):
    """The handler module freshly imported in bounded SSE mode, its AWS backend replaced by ``world``'s fakes."""
    tasks, log, queue, keys = world.tasks, world.log, world.queue, AsyncMemoryKeyStore()
    admin = Caller(owner="root", admin=True, via="api_key")
    key = asyncio.run(ApiKeys(keys).create(admin, "local", "handler tests")).key

    async def open_memory_backend(settings):
        return Backend(
            tasks=AsyncMemoryTaskStore(tasks), events=AsyncMemoryEventLog(log), queue=queue,
            executions=world.executions, keys=keys,
        )  # fmt: skip

    monkeypatch.setattr(composition_api, "open_aws_backend", open_memory_backend)
    for name, value in {"SSE_MODE": "bounded", "SSE_BOUNDED_WAIT_S": "0.3", "SSE_LINGER_S": "0.05"}.items():
        monkeypatch.setenv(f"INVESTMIND_{name}", value)
    get_settings.cache_clear()
    loop = asyncio.new_event_loop()  # Mangum runs each invocation on the thread's current loop
    asyncio.set_event_loop(loop)
    handler = importlib.reload(importlib.import_module("investmind.handlers.api")).lambda_handler
    yield types.SimpleNamespace(
        handler=handler, tasks=tasks, log=log, queue=queue, loop=loop, auth={"authorization": f"Bearer {key}"}
    )
    get_settings.cache_clear()
    asyncio.set_event_loop(None)
    loop.close()


def test_lambda_handler_healthz_returns_200_json(lambda_env):
    reply = lambda_env.handler(http_api_event("GET", "/healthz"), CONTEXT)

    assert reply["statusCode"] == 200
    assert reply["headers"]["content-type"] == "application/json"
    assert json.loads(reply["body"]) == {"status": "ok"}
    assert reply["isBase64Encoded"] is False


def test_lambda_handler_post_analysis_returns_202_and_enqueues(lambda_env):
    event = http_api_event("POST", "/v1/analyses", headers=lambda_env.auth, body=json.dumps({"symbol": "600519"}))

    reply = lambda_env.handler(event, CONTEXT)

    assert reply["statusCode"] == 202, reply["body"]
    task_id = json.loads(reply["body"])["task_id"]
    assert [s.task_id for s in lambda_env.queue.sent] == [task_id]
    assert lambda_env.tasks.get(task_id, "local").symbol == "600519.SH"


def test_lambda_handler_stream_bounded_returns_framed_events_after_last_event_id(lambda_env):
    now = utc_now_iso()
    task = Task(task_id=uuid.uuid4().hex, owner="local", symbol="600519.SH", created_at=now, updated_at=now)
    lambda_env.tasks.create(task, EventDraft(type=EventType.task_queued))
    lambda_env.log.append(task.task_id, [EventDraft(type=EventType.task_started)])
    lambda_env.log.append(task.task_id, [EventDraft(type=EventType.log, data={"level": "info", "message": "hi"})])
    event = http_api_event(
        "GET", f"/v1/analyses/{task.task_id}/stream", headers={"last-event-id": "1", **lambda_env.auth}
    )

    reply = lambda_env.handler(event, CONTEXT)

    assert reply["statusCode"] == 200
    assert reply["headers"]["content-type"].startswith("text/event-stream")
    assert reply["headers"]["cache-control"] == "no-cache"
    frames = reply["body"].split("\n\n")
    assert frames[0] == "retry: 2000"
    assert [f.split("\n")[:2] for f in frames[1:-1]] == [["id: 2", "event: task_started"], ["id: 3", "event: log"]]
    assert json.loads(frames[2].split("\n")[2].removeprefix("data: "))["data"]["message"] == "hi"
    assert not asyncio.all_tasks(lambda_env.loop)  # the shared poller ended with the response


def test_lambda_handler_stream_bounded_idle_returns_heartbeat(lambda_env):
    now = utc_now_iso()
    task = Task(task_id=uuid.uuid4().hex, owner="local", symbol="600519.SH", created_at=now, updated_at=now)
    lambda_env.tasks.create(task, EventDraft(type=EventType.task_queued))
    event = http_api_event("GET", f"/v1/analyses/{task.task_id}/stream", headers=lambda_env.auth, query={"after": "1"})

    reply = lambda_env.handler(event, CONTEXT)

    assert (reply["statusCode"], reply["body"]) == (200, "retry: 2000\n\n: heartbeat\n\n")


def test_lambda_handler_unknown_task_stream_returns_404_error(lambda_env):
    event = http_api_event("GET", f"/v1/analyses/{uuid.uuid4().hex}/stream", headers=lambda_env.auth)

    reply = lambda_env.handler(event, CONTEXT)

    assert reply["statusCode"] == 404
    assert json.loads(reply["body"])["error"]["code"] == "not_found"


def test_lambda_handler_without_credentials_returns_401_with_www_authenticate(lambda_env):
    reply = lambda_env.handler(http_api_event("POST", "/v1/analyses", body=json.dumps({"symbol": "600519"})), CONTEXT)

    assert reply["statusCode"] == 401
    assert json.loads(reply["body"])["error"]["code"] == "unauthorized"
    assert reply["headers"]["www-authenticate"] == 'Bearer realm="investmind"'
    assert lambda_env.queue.sent == []


def test_lambda_handler_stream_accepts_its_stream_token_in_the_query(lambda_env):
    now = utc_now_iso()
    task = Task(task_id=uuid.uuid4().hex, owner="local", symbol="600519.SH", created_at=now, updated_at=now)
    lambda_env.tasks.create(task, EventDraft(type=EventType.task_queued))
    minted = lambda_env.handler(
        http_api_event("POST", f"/v1/analyses/{task.task_id}/stream-token", headers=lambda_env.auth), CONTEXT
    )
    token = json.loads(minted["body"])["token"]

    reply = lambda_env.handler(
        http_api_event("GET", f"/v1/analyses/{task.task_id}/stream", query={"after": "1", "token": token}), CONTEXT
    )

    assert (reply["statusCode"], reply["body"]) == (200, "retry: 2000\n\n: heartbeat\n\n")
