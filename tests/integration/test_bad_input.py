"""Bad input over HTTP gets a clear 4xx in the error shape, and changes nothing."""

from __future__ import annotations

import json
import uuid

import pytest

pytestmark = pytest.mark.integration

CASES = [
    ("malformed json", b'{"symbol": "600519"', 400, "malformed_json"),
    ("missing symbol", json.dumps({"priority": "high"}).encode(), 422, "validation_error"),
    ("malformed symbol", json.dumps({"symbol": "60O519"}).encode(), 422, "validation_error"),
    ("unknown priority", json.dumps({"symbol": "600519", "priority": "urgent"}).encode(), 422, "validation_error"),
    ("future as_of", json.dumps({"symbol": "600519", "as_of": "2999-01-01"}).encode(), 422, "validation_error"),
    ("unknown agent", json.dumps({"symbol": "600519", "agents": ["astrologer"]}).encode(), 422, "validation_error"),
    ("unknown symbol", json.dumps({"symbol": "688981"}).encode(), 422, "unknown_symbol"),
    ("body over 16 KB", json.dumps({"symbol": "600519", "pad": "x" * 17000}).encode(), 413, "payload_too_large"),
]


def everything_queued(aws_client, stack_outputs) -> int:
    sqs = aws_client("sqs")
    total = 0
    for key in ("HighQueueUrl", "NormalQueueUrl", "LowQueueUrl"):
        attributes = sqs.get_queue_attributes(QueueUrl=stack_outputs[key], AttributeNames=["All"])["Attributes"]
        total += int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )
    return total


@pytest.mark.parametrize(("case", "body", "status", "code"), CASES, ids=[c[0] for c in CASES])
def test_bad_submission_is_refused_and_creates_nothing(api, aws_client, stack_outputs, case, body, status, code):
    before = [t["task_id"] for t in api.get("/v1/analyses", params={"limit": 100}).json()["items"]]

    response = api.post("/v1/analyses", content=body, headers={"content-type": "application/json"})

    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert [t["task_id"] for t in api.get("/v1/analyses", params={"limit": 100}).json()["items"]] == before
    if "MotoEndpoint" in stack_outputs or "AwsEndpoint" in stack_outputs:  # a stack nobody else uses
        assert everything_queued(aws_client, stack_outputs) == 0


def test_unknown_task_is_404_everywhere(api):
    for path in ("", "/events", "/stream"):
        response = api.get(f"/v1/analyses/{'0' * 32}{path}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert api.post(f"/v1/analyses/{'0' * 32}/cancel").status_code == 404


def _running_task(api) -> str:
    response = api.post("/v1/analyses", json={"symbol": "000001"})
    assert response.status_code == 202, response.text
    return response.json()["task_id"]


STREAM_CASES = [
    ("superscript two", {"Last-Event-ID": "²".encode("latin-1")}, {}, 400),
    ("5,000 digits", {"Last-Event-ID": "7" * 5000}, {}, 400),
    ("past dynamodb's number", {}, {"after": "1" + "0" * 40}, 422),
    ("negative after", {}, {"after": "-1"}, 422),
    ("after not a number", {}, {"after": "abc"}, 422),
]


@pytest.mark.parametrize(("case", "headers", "params", "status"), STREAM_CASES, ids=[c[0] for c in STREAM_CASES])
def test_bad_stream_position_is_refused_on_dynamodb(api, case, headers, params, status):
    task_id = _running_task(api)
    before = api.get(f"/v1/analyses/{task_id}/events", params={"limit": 1}).json()["events"]

    response = api.get(f"/v1/analyses/{task_id}/stream", headers=headers, params=params)

    assert response.status_code == status, response.text
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert api.get(f"/v1/analyses/{task_id}/events", params={"limit": 1}).json()["events"] == before


@pytest.mark.parametrize("params", [{"after": "9" * 39}, {"limit": "0"}, {"limit": "1" + "0" * 30}])
def test_bad_event_page_is_422_on_dynamodb(api, params):
    response = api.get(f"/v1/analyses/{_running_task(api)}/events", params=params)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


def test_reused_idempotency_key_with_another_body_is_422_and_creates_nothing(api):
    key = {"Idempotency-Key": f"reuse-{uuid.uuid4().hex}"}
    first = api.post("/v1/analyses", json={"symbol": "600519"}, headers=key)
    before = [t["task_id"] for t in api.get("/v1/analyses", params={"limit": 100}).json()["items"]]

    other = api.post("/v1/analyses", json={"symbol": "600519", "priority": "high"}, headers=key)
    same = api.post("/v1/analyses", json={"symbol": "600519.SH"}, headers=key)

    assert first.status_code == 202 and other.status_code == 422, other.text
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert (same.status_code, same.json()["task_id"]) == (202, first.json()["task_id"])
    assert [t["task_id"] for t in api.get("/v1/analyses", params={"limit": 100}).json()["items"]] == before
