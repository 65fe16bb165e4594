"""Each injected fault and its outcome, through the running system (docs/reliability.md lists them).

The fault plan is the session's (``conftest.FAULTS``), each rule scoped to a symbol of its own; the
runtime's log says which faults fired, for which task (``checks.injected``).
"""

from __future__ import annotations

import os
import signal
import threading

import httpx
import pytest

from investmind.roster import AGENTS
from tests.conftest import wait_until

from .checks import assert_each_agent_once, assert_gap_free, folded, injected, logged
from .conftest import VISIBILITY_TIMEOUT_S
from .sse import Follower, read_stream
from .test_pipeline import by_type, fault_plan, submit  # noqa: F401 - the fixture

pytestmark = pytest.mark.integration
ALL_AGENTS = {a.agent_id for a in AGENTS}


def test_prepare_failing_ends_the_task_failed_with_its_reason_and_no_agent_runs(api, fault_plan):  # noqa: F811
    task_id = submit(api, "600887")  # Prepare fails, permanently, for this symbol
    events = read_stream(api, task_id)

    assert_gap_free(events)
    assert events[0]["type"] == "task_queued" and events[-1]["type"] == "task_failed"
    assert "injected permanent fault in prepare" in events[-1]["data"]["error"]
    assert not [e for e in events if e["type"].startswith(("agent_", "stage_", "task_started", "task_completed"))]
    assert api.get(f"/v1/analyses/{task_id}").json()["status"] == "FAILED"  # at once, by the log head
    task = folded(api, task_id, events[-1]["seq"])
    assert task["status"] == "FAILED" and "prepare" in task["error"] and task["decision"] is None
    assert all(view["state"] not in ("running", "succeeded") for view in task["agents"].values())


def test_a_starter_crashing_mid_batch_starts_each_execution_once_when_the_batch_comes_again(
    api,
    aws_client,
    stack_outputs,
    runtime_log,
    fault_plan,  # noqa: F811
):
    # The starter dies after starting this symbol's execution, before it answers for its batch: the
    # queue delivers the batch again after its visibility timeout, a healthy analysis alongside.
    crashed, beside = submit(api, "601012"), submit(api, "600036")
    streams = {task_id: read_stream(api, task_id, timeout=120 + VISIBILITY_TIMEOUT_S) for task_id in (crashed, beside)}

    for task_id, events in streams.items():
        assert_gap_free(events)
        assert len(by_type(events, "task_started")) == 1 and events[-1]["type"] == "task_completed"
        assert (
            not assert_each_agent_once(events)
            and {e["agent_id"] for e in by_type(events, "agent_completed")} == ALL_AGENTS
        )
        assert folded(api, task_id, events[-1]["seq"])["status"] == "SUCCEEDED"
    assert len(injected(runtime_log("StarterFunction"), "starter", crashed)) == 1

    # Its message came back after the crash and the starter ran for it again: StartExecution, idempotent
    # for a running execution of the same name and input, answered with the one execution it had; or, when
    # the analysis had already ended by then (a quiet machine, a visibility timeout longer than the run), the
    # starter read the ended log and started nothing.
    def starter_runs() -> list[dict]:
        return [
            *logged(log := runtime_log("StarterFunction"), "execution started", task_id=crashed),
            *logged(log, "duplicate delivery; execution exists", task_id=crashed),
            *logged(
                log,
                "task already ended (cancelled, or a message delivered again after it ran); not starting",
                task_id=crashed,
            ),
        ]

    # The batch comes back after the visibility timeout, which may be after the analysis ended: awaited.
    again = wait_until(
        lambda: runs if len(runs := starter_runs()) >= 2 else None,
        timeout=VISIBILITY_TIMEOUT_S * 3, what=f"the starter to run again for {crashed}",
    )  # fmt: skip
    assert len(again) == 2
    executions = aws_client("stepfunctions").list_executions(
        stateMachineArn=stack_outputs["AnalysisStateMachineArn"]
    )["executions"]  # fmt: skip
    names = [e["name"] for e in executions]
    assert names.count(crashed) == names.count(beside) == 1


def test_progress_function_failing_k_times_heals_by_retry_and_the_projection_catches_up(api, runtime_log, fault_plan):  # noqa: F811
    task_id = submit(api, "600276")  # ProgressFunction fails 3 times on the batch holding this task's first event
    events = read_stream(api, task_id)

    assert_gap_free(events)
    assert not assert_each_agent_once(events) and events[-1]["type"] == "task_completed"
    assert api.get(f"/v1/analyses/{task_id}").json()["status"] == "SUCCEEDED"  # whatever the fold is doing
    task = folded(api, task_id, events[-1]["seq"])
    assert task["decision"] == events[-1]["data"]["decision"] and task["progress"]["percent"] == 100
    assert {agent for agent, view in task["agents"].items() if view["state"] == "succeeded"} == ALL_AGENTS
    assert len(injected(runtime_log("ProgressFunction"), "progress", task_id)) == 3
    # The retried batches announced no progress twice.
    marks = [(e["data"]["percent"], e["data"]["stage"]) for e in by_type(events, "progress")]
    assert marks and marks == sorted(set(marks))


def test_an_undecodable_stream_record_is_skipped_alone_and_the_projection_still_folds(api, runtime_log, fault_plan):  # noqa: F811
    task_id = submit(api, "000333")  # every delivery of this task's first stream record is garbled
    events = read_stream(api, task_id)

    assert_gap_free(events)
    assert not assert_each_agent_once(events) and events[-1]["type"] == "task_completed"
    task = folded(api, task_id, events[-1]["seq"])  # the fold reads the skipped event from the log itself
    assert task["status"] == "SUCCEEDED" and task["symbol"] == "000333.SZ"
    assert {agent for agent, view in task["agents"].items() if view["state"] == "succeeded"} == ALL_AGENTS
    log = runtime_log("ProgressFunction")
    garbled = injected(log, "progress", task_id)
    skipped = [line["event_id"] for line in logged(log, "undecodable stream record skipped")]
    # Each garbled record was skipped, once: its batch did not fail, or it would have come again.
    assert garbled and sorted(garbled) == sorted(e for e in skipped if e in garbled)
    assert len(set(garbled)) == len(garbled)


def test_clients_streaming_through_an_api_restart_reconnect_and_get_every_event_once(api, api_url, stack_outputs):
    if "RuntimePid" not in stack_outputs:
        pytest.skip("restarts the embedded runtime's API (SIGHUP to its process); a deployed stack has none")
    task_ids = [submit(api, symbol) for symbol in ("601888", "002415")]
    mid_run = [threading.Event() for _ in range(2 * len(task_ids))]
    clients = [httpx.Client(base_url=api_url, headers=dict(api.headers), timeout=30) for _ in mid_run]
    followers = [
        Follower(client, task_ids[i // 2], on_event=lambda e, ran=ran: e["type"] == "agent_started" and ran.set())
        for i, (client, ran) in enumerate(zip(clients, mid_run, strict=True))
    ]
    results: dict[int, list[dict] | BaseException] = {}

    def follow(index: int) -> None:
        try:
            results[index] = followers[index].follow()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            results[index] = exc

    threads = [threading.Thread(target=follow, args=(i,)) for i in range(len(followers))]
    for thread in threads:
        thread.start()
    assert all(ran.wait(timeout=120) for ran in mid_run), "every reader is mid-stream"
    os.kill(int(stack_outputs["RuntimePid"]), signal.SIGHUP)
    for thread in threads:
        thread.join(timeout=240)

    for index, follower in enumerate(followers):
        events = results[index]
        assert isinstance(events, list), events
        assert follower.cut >= 1, "the restart cut this reader's connection"  # it was connected when it came
        assert events[-1]["type"] == "task_completed"
        log = api.get(f"/v1/analyses/{follower.task_id}/events", params={"after": 0, "limit": 1000}).json()["events"]
        assert events == log  # every event, once, in order, across the restart
        assert_gap_free(events)
        assert not assert_each_agent_once(events)
        assert api.get(f"/v1/analyses/{follower.task_id}").json()["status"] == "SUCCEEDED"
    for client in clients:
        client.close()
