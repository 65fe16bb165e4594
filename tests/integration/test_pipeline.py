"""A whole analysis through the running system: API → SQS → Step Functions → agents → log → SSE."""

from __future__ import annotations

import json

import pytest

from investmind.roster import AGENTS, STAGE1_IDS, STAGES
from tests.conftest import wait_until

from .checks import assert_each_agent_once, assert_gap_free, folded
from .sse import read_stream

pytestmark = pytest.mark.integration


@pytest.fixture
def fault_plan(stack_outputs) -> None:
    """The session's fault plan (conftest.FAULTS) is in force: the embedded runtime's invoker applies it, and
    on LocalStack the host executor, from the functions' environments. A stack on AWS has no such hook."""
    if "MotoEndpoint" not in stack_outputs and "FaultPlan" not in stack_outputs:
        pytest.skip(
            "needs a fault plan applied by what invokes the functions: the embedded runtime's invoker or "
            "LocalStack's host executor (localstack_host); LocalStack's Docker executor and AWS have no such hook"
        )


def submit(api, symbol: str, **body) -> str:
    response = api.post("/v1/analyses", json={"symbol": symbol, **body})
    assert response.status_code == 202, response.text
    return response.json()["task_id"]


def by_type(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e["type"] == kind]


def test_full_analysis_streams_every_step_in_order_with_parallel_stages(api):
    task_id = submit(api, "600519")
    events = read_stream(api, task_id)

    assert_gap_free(events)
    assert events[0]["type"] == "task_queued" and events[-1]["type"] == "task_completed"
    started = {e["agent_id"]: e["seq"] for e in by_type(events, "agent_started")}
    ended = {e["agent_id"]: e["seq"] for e in by_type(events, "agent_completed")}
    assert set(started) == set(ended) == {a.agent_id for a in AGENTS}
    assert all(started[a] < ended[a] for a in started)
    # Stages in order: no agent of stage N+1 starts before every agent of stage N has ended.
    for stage in list(STAGES)[1:]:
        last_before = max(ended[a.agent_id] for a in STAGES[stage - 1])
        assert all(started[a.agent_id] > last_before for a in STAGES[stage])
    # The five analysts ran at the same time: each started before any of them ended.
    assert max(started[a] for a in STAGE1_IDS) < min(ended[a] for a in STAGE1_IDS)
    stage_marks = [(e["type"], e["stage"]) for e in events if e["type"] in ("stage_started", "stage_completed")]
    assert stage_marks == [(kind, s) for s in STAGES for kind in ("stage_started", "stage_completed")]
    assert by_type(events, "progress"), "ProgressFunction's progress events reach the stream"

    decision = events[-1]["data"]["decision"]
    assert decision["action"] in ("BUY", "HOLD", "SELL") and decision["action"] in decision["rationale"]
    assert events[-1]["data"]["degraded"] is False
    # GET reads SUCCEEDED at once (the log head settles it); the agents come with the fold of the whole log.
    assert api.get(f"/v1/analyses/{task_id}").json()["status"] == "SUCCEEDED"
    task = wait_until(
        lambda: (t := api.get(f"/v1/analyses/{task_id}").json())["applied_seq"] == events[-1]["seq"] and t,
        timeout=30,
        what="the projection to fold the whole log",
    )
    assert task["status"] == "SUCCEEDED" and task["decision"] == decision
    assert task["progress"]["percent"] == 100
    assert all(view["state"] == "succeeded" for view in task["agents"].values())


def test_stream_resumed_with_last_event_id_delivers_exactly_the_rest(api):
    task_id = submit(api, "000001")
    first = read_stream(api, task_id, until=lambda e: e["type"] == "agent_completed")
    rest = read_stream(api, task_id, last_event_id=first[-1]["seq"])
    everything = read_stream(api, task_id, last_event_id=0)

    assert first + rest == everything
    assert_gap_free(first + rest)
    assert rest[-1]["type"] == "task_completed"


def test_failing_agent_degrades_the_analysis_instead_of_failing_it(api, fault_plan):
    task_id = submit(api, "000858")  # the fault plan breaks `technical` for this symbol
    events = read_stream(api, task_id)

    assert_gap_free(events)
    failed = by_type(events, "agent_failed")
    assert [e["agent_id"] for e in failed] == ["technical"]
    assert "injected permanent fault" in failed[0]["data"]["error"]
    assert events[-1]["type"] == "task_completed" and events[-1]["data"]["degraded"] is True
    assert events[-1]["data"]["decision"]["degraded"] is True
    # The momentum director, which reads `technical`, still ran on what it had.
    assert "momentum_director" in {e["agent_id"] for e in by_type(events, "agent_completed")}
    task = wait_until(
        lambda: (t := api.get(f"/v1/analyses/{task_id}").json())["status"] == "SUCCEEDED" and t,
        timeout=30,
        what="SUCCEEDED",
    )
    assert task["degraded"] is True and task["agents"]["technical"]["state"] == "failed"


def lambda_failures(aws_client, stack_outputs, task_id: str) -> list[tuple[str, str]]:
    """(error, cause) of every failed Lambda task in the analysis' execution, from Step Functions' history."""
    sfn = aws_client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=stack_outputs["AnalysisStateMachineArn"])["executions"]
    arn = next(e["executionArn"] for e in executions if e["name"] == task_id)
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    details = [e["lambdaFunctionFailedEventDetails"] for e in history if e["type"] == "LambdaFunctionFailed"]
    return [(d["error"], d.get("cause", "")) for d in details]


def test_transient_agent_error_is_retried_and_the_analysis_is_not_degraded(api, aws_client, stack_outputs, fault_plan):
    task_id = submit(api, "601318")  # `funds` fails once, transiently, for this symbol
    events = read_stream(api, task_id)

    # The injected failure answers before the handler runs, so only the retry writes agent_started.
    funds_starts = [e for e in by_type(events, "agent_started") if e["agent_id"] == "funds"]
    assert len(funds_starts) == 1
    assert not by_type(events, "agent_failed")
    assert events[-1]["type"] == "task_completed" and events[-1]["data"]["degraded"] is False
    [(error, cause)] = lambda_failures(aws_client, stack_outputs, task_id)
    assert error == "TransientAgentError" and "injected transient fault in funds" in cause


def test_agent_timeout_degrades_the_analysis_with_the_timeout_as_its_reason(api, fault_plan):
    task_id = submit(api, "002572")  # `industry` times out for this symbol
    events = read_stream(api, task_id)

    assert_gap_free(events)
    assert not assert_each_agent_once(events)  # a timeout is not retried: no warning, no second attempt
    failed = by_type(events, "agent_failed")
    assert [e["agent_id"] for e in failed] == ["industry"]
    assert "industry" not in {e["agent_id"] for e in by_type(events, "agent_started")}  # it never got to run
    assert failed[0]["data"]["error_type"] == "Sandbox.Timedout"
    assert "Task timed out after" in failed[0]["data"]["error"]
    assert "industry" not in {e["agent_id"] for e in by_type(events, "agent_completed")}
    assert events[-1]["type"] == "task_completed" and events[-1]["data"]["degraded"] is True
    task = wait_until(
        lambda: (t := api.get(f"/v1/analyses/{task_id}").json())["applied_seq"] == events[-1]["seq"] and t,
        timeout=30,
        what="the projection to fold the whole log",
    )
    assert task["status"] == "SUCCEEDED"
    assert task["agents"]["industry"]["state"] == "failed" and task["degraded"] is True


def test_throttled_agent_is_retried_as_lambda_throttling_and_the_analysis_is_not_degraded(
    api, aws_client, stack_outputs, fault_plan
):
    task_id = submit(api, "300027")  # Lambda throttles `macro` once for this symbol
    events = read_stream(api, task_id)

    assert_gap_free(events)
    assert not by_type(events, "agent_failed")
    # Retried once: the second attempt runs, says so in a warning, and writes the agent's events once.
    assert assert_each_agent_once(events) == {"macro": [2]}
    macro_started = [e for e in by_type(events, "agent_started") if e["agent_id"] == "macro"]
    assert [e["data"]["attempt"] for e in macro_started] == [2]
    assert events[-1]["type"] == "task_completed" and events[-1]["data"]["degraded"] is False
    # Step Functions saw the Invoke API's error under the name its Retry matches.
    [(error, cause)] = lambda_failures(aws_client, stack_outputs, task_id)
    assert error == "Lambda.TooManyRequestsException" and "Rate Exceeded" in cause
    task = folded(api, task_id, events[-1]["seq"])
    completed = next(e for e in by_type(events, "agent_completed") if e["agent_id"] == "macro")
    assert (
        task["agents"]["macro"]["state"] == "succeeded"
        and task["agents"]["macro"]["result"] == completed["data"]["result"]
    )


def test_uncaught_error_ends_the_task_failed_with_its_reason(api, fault_plan):
    task_id = submit(api, "300750")  # Finalize fails for this symbol
    events = read_stream(api, task_id)

    assert_gap_free(events)
    assert events[-1]["type"] == "task_failed" and not by_type(events, "task_completed")
    assert "injected permanent fault in finalize" in events[-1]["data"]["error"]
    # Every agent ran, once; only the last step failed, and no decision was made up for it.
    assert not assert_each_agent_once(events)
    assert {e["agent_id"] for e in by_type(events, "agent_completed")} == {a.agent_id for a in AGENTS}
    assert api.get(f"/v1/analyses/{task_id}").json()["status"] == "FAILED"  # at once, by the log head
    task = folded(api, task_id, events[-1]["seq"])
    assert task["status"] == "FAILED" and "finalize" in task["error"] and task["decision"] is None
    assert all(view["state"] == "succeeded" for view in task["agents"].values())


def test_symbol_without_data_at_as_of_fails_with_the_reason(api):
    # 000338 is in the bundled data only until mid-2020: an analysis as of 2024 cannot run.
    task_id = submit(api, "000338", as_of="2024-03-01")
    events = read_stream(api, task_id)

    assert [e["type"] for e in events][-1] == "task_failed"
    assert "000338" in events[-1]["data"]["error"]
    assert not by_type(events, "agent_started")


def test_cancelled_analysis_ends_cancelled_and_nothing_follows(api, aws_client):
    task_id = submit(api, "600519")
    read_stream(api, task_id, until=lambda e: e["type"] == "agent_started")
    response = api.post(f"/v1/analyses/{task_id}/cancel")
    assert response.status_code == 202
    assert api.post(f"/v1/analyses/{task_id}/cancel").status_code == 202  # idempotent

    events = read_stream(api, task_id, last_event_id=0)
    assert events[-1]["type"] == "task_cancelled"
    assert len(by_type(events, "task_cancelled")) == 1
    assert_gap_free(events)
    task = wait_until(
        lambda: (t := api.get(f"/v1/analyses/{task_id}").json())["status"] == "CANCELLED" and t,
        timeout=30,
        what="CANCELLED",
    )
    assert task["status"] == "CANCELLED"
    # Agents still running when it was cancelled could not write behind the terminal event.
    again = api.get(f"/v1/analyses/{task_id}/events", params={"after": 0, "limit": 1000}).json()["events"]
    assert again[-1]["type"] == "task_cancelled"


def test_duplicate_queue_delivery_starts_no_second_execution(api, aws_client, stack_outputs):
    task_id = submit(api, "600519")
    duplicate = {
        "task_id": task_id,
        "owner": "local",
        "symbol": "600519.SH",
        "as_of": None,
        "priority": "normal",
        "agents": list(STAGE1_IDS),
    }
    aws_client("sqs").send_message(QueueUrl=stack_outputs["NormalQueueUrl"], MessageBody=json.dumps(duplicate))
    events = read_stream(api, task_id)

    assert events[-1]["type"] == "task_completed"
    assert len(by_type(events, "task_started")) == 1
    sfn = aws_client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=stack_outputs["AnalysisStateMachineArn"])["executions"]
    assert [e["name"] for e in executions].count(task_id) == 1

    # Wait for the duplicate to be consumed (the queue drains), then check again.
    def drained() -> bool:
        attributes = aws_client("sqs").get_queue_attributes(
            QueueUrl=stack_outputs["NormalQueueUrl"], AttributeNames=["All"]
        )["Attributes"]
        return attributes["ApproximateNumberOfMessages"] == attributes["ApproximateNumberOfMessagesNotVisible"] == "0"

    wait_until(drained, timeout=30, what="the queue to drain")
    executions = sfn.list_executions(stateMachineArn=stack_outputs["AnalysisStateMachineArn"])["executions"]
    assert [e["name"] for e in executions].count(task_id) == 1
