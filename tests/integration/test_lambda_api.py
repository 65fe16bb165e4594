"""The ApiFunction's real Lambda handler (Mangum) against the running system's tables."""

from __future__ import annotations

import asyncio
import importlib
import json
import time
import types

import pytest

from investmind.adapters import aws
from investmind.settings import get_settings
from tests.events import http_api_event

from .sse import read_stream

pytestmark = pytest.mark.integration
API_GATEWAY_LIMIT_S = 30
CONTEXT = types.SimpleNamespace(function_name="ApiFunction", aws_request_id="req-1")


@pytest.fixture
def lambda_api(stack_outputs, aws_endpoint, admin_key, monkeypatch):
    if aws_endpoint is None:
        pytest.skip("drives the handler in-process against an emulated AWS endpoint (embedded runtime or LocalStack)")
    env = {
        "AWS_ENDPOINT_URL": aws_endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": stack_outputs["Region"],
        "INVESTMIND_TASKS_TABLE": stack_outputs["TasksTableName"],
        "INVESTMIND_EVENTS_TABLE": stack_outputs["EventsTableName"],
        "INVESTMIND_STATE_MACHINE_ARN": stack_outputs["AnalysisStateMachineArn"],
        "INVESTMIND_KEYS_TABLE": stack_outputs["KeysTableName"],
        "INVESTMIND_SSE_MODE": "bounded",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    aws.client.cache_clear()
    loop = asyncio.new_event_loop()  # Mangum runs each invocation on the thread's current loop
    asyncio.set_event_loop(loop)
    handler = importlib.reload(importlib.import_module("investmind.handlers.api")).lambda_handler
    yield handler, {"authorization": f"Bearer {admin_key}"}
    loop.run_until_complete(handler.app.state.backend.close())  # what a Lambda never gets to do
    asyncio.set_event_loop(None)
    loop.close()
    get_settings.cache_clear()
    aws.client.cache_clear()


def test_lambda_stream_returns_the_events_after_last_event_id_bounded_and_framed(api, lambda_api):
    response = api.post("/v1/analyses", json={"symbol": "601318"})
    task_id = response.json()["task_id"]
    everything = read_stream(api, task_id)

    handler, auth = lambda_api
    began = time.monotonic()
    reply = handler(
        http_api_event("GET", f"/v1/analyses/{task_id}/stream", headers={"last-event-id": "10", **auth}), CONTEXT
    )
    elapsed = time.monotonic() - began

    assert elapsed < API_GATEWAY_LIMIT_S / 2, "a bounded response must come back well inside API Gateway's cut"
    assert reply["statusCode"] == 200
    assert reply["headers"]["content-type"].startswith("text/event-stream")
    frames = [f for f in reply["body"].split("\n\n") if f.startswith("id: ")]
    envelopes = []
    for frame in frames:
        id_line, event_line, data_line = frame.split("\n")
        envelope = json.loads(data_line.removeprefix("data: "))
        assert id_line == f"id: {envelope['seq']}" and event_line == f"event: {envelope['type']}"
        envelopes.append(envelope)
    assert envelopes == [e for e in everything if e["seq"] > 10]


def test_lambda_get_task_reads_the_projection(api, lambda_api):
    task_id = api.post("/v1/analyses", json={"symbol": "000001"}).json()["task_id"]
    read_stream(api, task_id)

    handler, auth = lambda_api
    reply = handler(http_api_event("GET", f"/v1/analyses/{task_id}", headers=auth), CONTEXT)

    assert reply["statusCode"] == 200
    assert json.loads(reply["body"])["task_id"] == task_id


def test_lambda_without_credentials_is_401_and_with_a_key_of_the_table_is_its_owner(api, lambda_api):
    handler, auth = lambda_api
    task_id = api.post("/v1/analyses", json={"symbol": "000001"}).json()["task_id"]

    anonymous = handler(http_api_event("GET", f"/v1/analyses/{task_id}"), CONTEXT)
    other = api.post("/v1/keys", json={"owner": "lambda-other", "name": "tests"}).json()["key"]
    stranger = handler(
        http_api_event("GET", f"/v1/analyses/{task_id}", headers={"authorization": f"Bearer {other}"}), CONTEXT
    )

    assert anonymous["statusCode"] == 401 and anonymous["headers"]["www-authenticate"].startswith("Bearer")
    assert stranger["statusCode"] == 404
