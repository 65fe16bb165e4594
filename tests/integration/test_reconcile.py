"""The reconciler on the running system: each fault only it can settle, and its outcome (docs/reliability.md).

These run on an embedded runtime of their own: its reconciler runs every second with a short start
deadline, and its fault plan breaks ExecutionEndedFunction for every execution, which the suite's shared
runtime must not do. Every wait is on state (the task, the log, a queue), never a timer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import boto3
import httpx
import pytest

from tests.conftest import wait_until

from .conftest import embedded_runtime
from .sse import TERMINAL, read_stream
from .test_pipeline import assert_gap_free, by_type

# Its own runtime (a module fixture): all its tests on one worker of make test's two (--dist loadgroup).
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("test_reconcile")]

API_DIES = "600036.SH"  # the API process dies between creating the task and sending its start message
ABORTED = "002415.SZ"  # its execution is aborted by hand, and the execution-ended rule's target fails every time
FOLD_FAILS = "601166.SH"  # ProgressFunction fails for good on every batch that carries this task's events
START_DEADLINE_S = 6
FAULTS = [
    {"target": "api.send", "error": "permanent", "times": 1, "symbol": API_DIES},
    {"target": "executionended", "error": "permanent"},
    {"target": "progress", "error": "permanent", "symbol": FOLD_FAILS},
]


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    if os.environ.get("AWS_SAM_STACK_NAME"):
        pytest.skip(
            "needs an embedded runtime of its own: the API process dying mid-request (api.send), every "
            "execution-ended event failing and a 1 s reconciler schedule, none of which a deployed stack "
            "(LocalStack's included) takes without changing its rules; run against it, it would test that runtime"
        )
    settings = {
        "INVESTMIND_FAULTS": json.dumps(FAULTS),
        "INVESTMIND_SCHEDULE_PERIOD_S": "1",
        "INVESTMIND_RECONCILE_START_DEADLINE_S": str(START_DEADLINE_S),
    }
    with embedded_runtime(tmp_path_factory.mktemp("reconcile"), settings) as outputs:
        yield outputs


@pytest.fixture
def api(runtime: dict[str, str]) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {runtime['AdminApiKey']}"}
    with httpx.Client(base_url=runtime["ApiUrl"].rstrip("/"), headers=headers, timeout=60) as client:
        yield client


def aws(runtime: dict[str, str], service: str):
    return boto3.client(
        service, endpoint_url=runtime["MotoEndpoint"], region_name=runtime["Region"],
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip


def submit(api: httpx.Client, symbol: str) -> str:
    response = api.post("/v1/analyses", json={"symbol": symbol})
    assert response.status_code == 202, response.text
    return response.json()["task_id"]


def log_of(api: httpx.Client, task_id: str) -> list[dict]:
    return api.get(f"/v1/analyses/{task_id}/events", params={"after": 0, "limit": 1000}).json()["events"]


def folded(api: httpx.Client, task_id: str) -> dict:
    """The task once its projection has folded its whole log (GET's ``applied_seq`` is the projection's own)."""
    return wait_until(
        lambda: (t := api.get(f"/v1/analyses/{task_id}").json())["ended_seq"] is not None
        and t["applied_seq"] >= t["ended_seq"] and t,
        timeout=60, interval=0.2, what=f"the projection of {task_id} to fold its whole log",
    )  # fmt: skip


def assert_one_terminal_last(events: list[dict], kind: str) -> dict:
    assert_gap_free(events)
    assert [e["type"] for e in events if e["type"] in TERMINAL] == [kind]
    assert events[-1]["type"] == kind
    for agent_id in {e["agent_id"] for e in events if e.get("agent_id")}:
        mine = [e["type"] for e in events if e.get("agent_id") == agent_id]
        assert mine.count("agent_started") <= 1 and mine.count("agent_completed") + mine.count("agent_failed") <= 1
    return events[-1]


def assert_agents_match_the_log(task: dict, events: list[dict]) -> None:
    for event in by_type(events, "agent_completed"):
        view = task["agents"][event["agent_id"]]
        assert view["state"] == "succeeded" and view["result"] == event["data"]["result"]


def test_the_api_dying_between_create_and_send_ends_the_task_failed_as_never_started(api, runtime):
    response = api.post("/v1/analyses", json={"symbol": API_DIES})
    assert response.status_code == 500  # the process died mid-request: the caller never got a task id
    listed = api.get("/v1/analyses", params={"limit": 100}).json()["items"]
    [task_id] = [t["task_id"] for t in listed if t["symbol"] == API_DIES]

    ended = wait_until(
        lambda: (t := api.get(f"/v1/analyses/{task_id}").json())["status"] != "QUEUED" and t,
        timeout=START_DEADLINE_S + 60, interval=0.2, what="the reconciler to settle the task that never started",
    )  # fmt: skip

    assert ended["status"] == "FAILED" and "never started" in ended["error"]
    events = log_of(api, task_id)
    assert [e["type"] for e in events] == ["task_queued", "task_failed"]
    assert events[-1]["data"]["error_type"] == "NeverStarted"
    task = folded(api, task_id)
    assert (task["status"], task["applied_seq"], task["ended_seq"]) == ("FAILED", 2, 2)
    sfn = aws(runtime, "stepfunctions")
    names = [e["name"] for e in sfn.list_executions(stateMachineArn=runtime["AnalysisStateMachineArn"])["executions"]]
    assert task_id not in names  # nothing was ever started for it


def test_an_aborted_execution_whose_ended_event_is_lost_is_settled_with_the_status_it_ended(api, runtime):
    task_id = submit(api, ABORTED)
    read_stream(api, task_id, until=lambda e: e["type"] == "agent_started")
    sfn = aws(runtime, "stepfunctions")
    [arn] = [
        e["executionArn"]
        for e in sfn.list_executions(stateMachineArn=runtime["AnalysisStateMachineArn"])["executions"]
        if e["name"] == task_id
    ]
    sfn.stop_execution(executionArn=arn, error="Operator", cause="stopped by hand")  # ExecutionEndedFunction fails

    events = read_stream(api, task_id, last_event_id=0)

    failed = assert_one_terminal_last(events, "task_failed")
    assert failed["data"] == {"error_type": "ExecutionAborted", "error": "the execution ended ABORTED"}
    task = folded(api, task_id)
    assert task["status"] == "FAILED" and task["ended_seq"] == failed["seq"] and task["decision"] is None
    assert_agents_match_the_log(task, events)
    assert log_of(api, task_id) == events  # nothing still running wrote after the terminal event


def test_progress_failing_for_good_is_recorded_on_its_queue_and_the_projection_is_rebuilt(api, runtime):
    task_id = submit(api, FOLD_FAILS)
    events = read_stream(api, task_id)

    completed = assert_one_terminal_last(events, "task_completed")
    got = api.get(f"/v1/analyses/{task_id}").json()  # read-your-terminal: settled by the log head at once
    assert got["status"] == "SUCCEEDED" and got["decision"] == completed["data"]["decision"]
    task = folded(api, task_id)  # no stream batch of this task ever folded: the reconciler did it all
    assert task["progress"]["percent"] == 100 and task["decision"] == completed["data"]["decision"]
    assert_agents_match_the_log(task, [e for e in log_of(api, task_id) if e["seq"] <= completed["seq"]])
    sqs = aws(runtime, "sqs")

    def recorded() -> list[dict]:
        reply = sqs.receive_message(QueueUrl=runtime["ProgressFailuresQueueUrl"], WaitTimeSeconds=1)
        return [json.loads(m["Body"]) for m in reply.get("Messages", [])]

    [failure, *_] = wait_until(recorded, timeout=90, interval=0.2, what="a dropped batch on the on-failure queue")
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 11  # the first try and MaximumRetryAttempts
    batch = failure["DDBStreamBatchInfo"]
    assert batch["streamArn"].startswith("arn:aws:dynamodb:") and "EventsTable" in batch["streamArn"]
    assert int(batch["startSequenceNumber"]) <= int(batch["endSequenceNumber"]) and batch["batchSize"] >= 1


def test_the_reconciler_by_hand_answers_its_report_to_an_admin_only(api, runtime, monkeypatch, capsys):
    from investmind.settings import get_settings
    from investmind_cli import main as cli

    report = api.post("/v1/admin/reconcile")
    assert report.status_code == 200
    assert set(report.json()) == {"examined", "rebuilt", "settled", "errors", "next_cursor"}
    assert report.json()["next_cursor"] is None  # a handful of open tasks: one pass sees them all
    created = api.post("/v1/keys", json={"name": "user", "owner": "pia"}).json()
    as_user = api.post("/v1/admin/reconcile", headers={"Authorization": f"Bearer {created['key']}"})
    assert as_user.status_code == 403 and as_user.json()["error"]["code"] == "forbidden"
    monkeypatch.setenv("INVESTMIND_API_KEY", runtime["AdminApiKey"])
    get_settings.cache_clear()
    try:
        assert cli.main(["--url", runtime["ApiUrl"], "reconcile"]) == 0
    finally:
        get_settings.cache_clear()
    assert capsys.readouterr().out.startswith("examined ")
