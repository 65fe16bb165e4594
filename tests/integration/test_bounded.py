"""Bounded everywhere on the real state machine (docs/architecture.md §4, invariant 9): an analysis in which every
agent's LLM step gives the longest reply the reply model allows, in 4-byte Chinese (tests/maximal.py).

The embedded runtime's Step Functions enforces the 256 KB state limit (States.DataLimitExceeded, which no
``States.ALL`` catches), so an analysis that carried whole results through its state would not reach Finalize.
The functions' LLM is an OpenAI-compatible fake on this machine (no real LLM is reachable here); it reads each
prompt and answers with the maximal valid reply, so the results in the log are the largest an LLM can make.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import boto3
import httpx
import pytest

from investmind.adapters.dynamodb.sizes import MAX_ITEM_BYTES, item_size
from investmind.roster import AGENT_IDS, STAGES
from tests.maximal import NARRATIVE_MAX, WIDE, MaximalLLM

from .conftest import embedded_runtime
from .sse import read_stream

SFN_PAYLOAD_LIMIT = 256 * 1024
# It starts a runtime of its own (pytest-timeout counts the module fixture's setup against the test), and every
# agent writes ~32 KB items: on a loaded 2-core machine that takes minutes, not the suite's default 300 s.
# Its own runtime (a module fixture): all its tests on one worker of make test's two (--dist loadgroup).
pytestmark = [pytest.mark.timeout(1200), pytest.mark.xdist_group("test_bounded")]


@pytest.fixture(scope="module")
def maximal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MaximalLLM, dict[str, str]]]:
    """The fake LLM and a runtime of its own whose every agent uses it (the session's runtime uses none)."""
    if os.environ.get("AWS_SAM_STACK_NAME"):
        pytest.skip("points the functions' LLM at a fake on this machine: the embedded runtime only")
    with MaximalLLM() as llm, embedded_runtime(tmp_path_factory.mktemp("maximal"), llm.environment()) as outputs:
        yield llm, outputs


def test_an_analysis_at_the_llms_maximum_passes_its_state_by_reference_and_reads_whole(maximal):
    llm, outputs = maximal
    aws = boto3.session.Session(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    client = lambda service: aws.client(service, endpoint_url=outputs["MotoEndpoint"])  # noqa: E731
    headers = {"Authorization": f"Bearer {outputs['AdminApiKey']}"}
    with httpx.Client(base_url=outputs["ApiUrl"].rstrip("/"), headers=headers, timeout=30) as api:
        submitted = api.post("/v1/analyses", json={"symbol": "600036", "as_of": "2022-06-30"})
        assert submitted.status_code == 202, submitted.text
        task_id = submitted.json()["task_id"]
        events = read_stream(api, task_id, timeout=600)
        task = api.get(f"/v1/analyses/{task_id}").json()

    # The analysis succeeded with every agent on the LLM's longest reply.
    assert events[-1]["type"] == "task_completed" and task["status"] == "SUCCEEDED" and not task["degraded"]
    assert set(llm.answered) == {f"{a}_reply" for a in AGENT_IDS}
    results = {a: view["result"] for a, view in task["agents"].items()}
    assert set(results) == set(AGENT_IDS)
    assert all(
        len(r["summary"]) > NARRATIVE_MAX and WIDE in r["summary"] and not r["fallback"] for r in results.values()
    )
    completed = {e["agent_id"]: e for e in events if e["type"] == "agent_completed"}
    assert results == {a: e["data"]["result"] for a, e in completed.items()}  # GET reads them back from the log

    # The state Finalize received (the state after stage 4) carries references to those events, not the results.
    sfn = client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=outputs["AnalysisStateMachineArn"])["executions"]
    arn = next(e["executionArn"] for e in executions if e["name"] == task_id)
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    entered = [e["stateEnteredEventDetails"] for e in history if e["type"] == "TaskStateEntered"]
    state_after_stage4 = next(d["input"] for d in entered if d["name"] == "Finalize")
    assert len(state_after_stage4.encode()) < SFN_PAYLOAD_LIMIT / 10
    refs = [ref for stage in sorted(STAGES) for ref in json.loads(state_after_stage4)[f"stage{stage}"]]
    assert {r["agent_id"]: r["seq"] for r in refs} == {a: e["seq"] for a, e in completed.items()}
    assert sum(len(json.dumps(r, ensure_ascii=False).encode()) for r in results.values()) > SFN_PAYLOAD_LIMIT

    # The task item keeps the bounded view; the largest event is far below DynamoDB's item limit.
    dynamodb = client("dynamodb")
    item = dynamodb.get_item(TableName=outputs["TasksTableName"], Key={"task_id": {"S": task_id}})["Item"]
    assert item_size(item) < MAX_ITEM_BYTES / 4
    stored = dynamodb.query(
        TableName=outputs["EventsTableName"],
        KeyConditionExpression="task_id = :t",
        ExpressionAttributeValues={":t": {"S": task_id}},
    )["Items"]
    assert len(stored) == len(events) and max(item_size(i) for i in stored) < MAX_ITEM_BYTES / 4
