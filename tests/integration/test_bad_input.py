"""Bad input over HTTP gets a clear 4xx in the error shape, and changes nothing."""

from __future__ import annotations

import json

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
    before = api.get("/v1/analyses", params={"limit": 100}).json()["items"]

    response = api.post("/v1/analyses", content=body, headers={"content-type": "application/json"})

    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert api.get("/v1/analyses", params={"limit": 100}).json()["items"] == before
    if "MotoEndpoint" in stack_outputs or "AwsEndpoint" in stack_outputs:  # a stack nobody else uses
        assert everything_queued(aws_client, stack_outputs) == 0


def test_unknown_task_is_404_everywhere(api):
    for path in ("", "/events", "/stream"):
        response = api.get(f"/v1/analyses/{'0' * 32}{path}")
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert api.post(f"/v1/analyses/{'0' * 32}/cancel").status_code == 404
