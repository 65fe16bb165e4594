"""The fault plan and the in-process invoker that applies it (``infra/faults.py``, ``infra/lambdas.py``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.lambdas import LocalFunction, LocalLambda
from investmind_emulation.faults import FaultKind, FaultPlan

from . import functions

ROOT = Path(__file__).resolve().parents[3]
AGENT_EVENT = {"context": {"task_id": "t-1", "symbol": "000858.SZ", "as_of": "2024-01-02"}}
START_EVENT = {"task_id": "t-1", "owner": "local", "symbol": "000858.SZ"}


def plan(*rules: dict) -> FaultPlan:
    return FaultPlan.from_json(json.dumps(list(rules)))


@pytest.fixture
def lambdas():
    functions.calls.clear()
    functions.release.clear()
    runtime = LocalLambda(max_concurrency=4)
    runtime.add(
        LocalFunction(
            "TechnicalAgentFunction",
            "stack-technical",
            "arn:t",
            f"{functions.__name__}.record",
            timeout_s=120,
            memory_mb=512,
            environment={"AGENT_ID": "technical"},
        )
    )
    runtime.add(
        LocalFunction(
            "PrepareFunction", "stack-prepare", "arn:p", f"{functions.__name__}.record", timeout_s=30, memory_mb=512
        )
    )
    yield runtime
    functions.release.set()
    runtime.shutdown()


def test_the_plan_reads_todays_rules_and_refuses_malformed_ones():
    rules = plan(
        {"target": "technical", "error": "permanent", "symbol": "000858.SZ"},
        {"target": "funds", "error": "transient", "times": 1},
        {"target": "finalize"},
    ).rules
    assert [(r.target, r.error, r.times, r.symbol) for r in rules] == [
        ("technical", FaultKind.permanent, None, "000858.SZ"),
        ("funds", FaultKind.transient, 1, None),
        ("finalize", FaultKind.permanent, None, None),
    ]
    assert FaultPlan.from_json("").rules == FaultPlan.from_json(None).rules == ()
    for bad in (
        "{not json",
        '{"target": "x"}',
        '[{"target": "x", "error": "sometimes"}]',
        '[{"target": "x", "time": 1}]',
        '[{"target": "x", "times": -1}]',
        '[{"error": "transient"}]',
    ):
        with pytest.raises(ValueError, match="INVESTMIND_FAULTS"):
            FaultPlan.from_json(bad)


def test_a_target_that_names_no_function_is_refused(lambdas):
    lambdas.faults = plan({"target": "technicl"})
    with pytest.raises(ValueError, match=r"no function is called \['technicl'\].*'prepare', 'technical'"):
        lambdas.check_fault_targets()


def test_times_count_per_task_and_symbol_scopes_a_rule():
    faults = plan({"target": "funds", "error": "transient", "times": 2, "symbol": "601318.SH"})
    event = {"context": {"task_id": "a", "symbol": "601318.SH"}}
    other_task = {"context": {"task_id": "b", "symbol": "601318.SH"}}
    other_symbol = {"context": {"task_id": "c", "symbol": "600519.SH"}}

    assert faults.take("funds", event) is not None
    assert faults.take("funds", other_symbol) is None
    assert faults.take("macro", event) is None
    assert faults.take("funds", event) is not None
    assert faults.take("funds", event) is None  # twice for task a, then healthy
    assert faults.take("funds", other_task) is not None


def test_a_planned_fault_answers_as_lambda_does_and_the_handler_never_runs(lambdas):
    lambdas.faults = plan(
        {"target": "technical", "error": "transient", "times": 1, "symbol": "000858.SZ"},
        {"target": "prepare", "error": "permanent", "symbol": "000858.SZ"},
    )
    transient = lambdas.invoke("stack-technical", AGENT_EVENT)
    permanent = lambdas.invoke("stack-prepare", START_EVENT)

    assert transient.function_error == permanent.function_error == "Unhandled"
    assert transient.payload == {
        "errorType": "TransientAgentError",
        "errorMessage": "injected transient fault in technical",
    }
    assert permanent.payload == {"errorType": "AgentError", "errorMessage": "injected permanent fault in prepare"}
    assert functions.calls == []
    assert lambdas.invoke("stack-technical", AGENT_EVENT).payload["ran"] is True  # times: 1 is spent
    assert lambdas.invoke("stack-prepare", {**START_EVENT, "symbol": "600519.SH"}).payload["ran"] is True


def test_a_timeout_fault_answers_sandbox_timedout_with_the_functions_timeout(lambdas):
    lambdas.faults = plan({"target": "technical", "error": "timeout"})
    answer = lambdas.invoke("stack-technical", AGENT_EVENT)
    assert answer.function_error == "Unhandled" and answer.payload["errorType"] == "Sandbox.Timedout"
    assert answer.payload["errorMessage"].startswith("Task timed out after 120.00 seconds")
    assert functions.calls == []


def test_a_throttle_fault_is_the_invoke_apis_429_not_a_function_error(lambdas):
    lambdas.faults = plan({"target": "technical", "error": "throttle", "times": 1})
    status, headers, body = lambdas.invoke_http("stack-technical", json.dumps(AGENT_EVENT).encode())
    assert status == 429
    assert headers["x-amzn-ErrorType"] == "TooManyRequestsException" and "x-amz-function-error" not in headers
    assert json.loads(body)["message"].startswith("Rate Exceeded.")
    assert functions.calls == []
    status, headers, body = lambdas.invoke_http("stack-technical", json.dumps(AGENT_EVENT).encode())
    assert status == 200 and json.loads(body)["ran"] is True


def test_a_handler_still_running_at_its_timeout_is_answered_sandbox_timedout(lambdas):
    lambdas.add(
        LocalFunction(
            "SlowFunction", "stack-slow", "arn:s", f"{functions.__name__}.block", timeout_s=0.2, memory_mb=128
        )
    )
    answer = lambdas.invoke("stack-slow", {})
    assert answer.payload == {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 0.20 seconds"}
    assert answer.function_error == "Unhandled"


def test_a_handlers_exception_is_a_function_error_and_an_unknown_function_an_api_error(lambdas):
    lambdas.add(
        LocalFunction(
            "BrokenFunction", "stack-broken", "arn:b", f"{functions.__name__}.fail", timeout_s=5, memory_mb=128
        )
    )
    broken = lambdas.invoke("stack-broken", {"symbol": "600519.SH"})
    assert broken.payload == {"errorType": "ValueError", "errorMessage": "cannot analyse 600519.SH"}
    assert broken.function_error == "Unhandled"
    missing = lambdas.invoke("stack-nothing", {})
    assert missing.api_error == "ResourceNotFoundException" and missing.status == 404 and missing.failed


def _sqs_batch(*starts: tuple[str, str]) -> dict:
    return {"Records": [{"messageId": f"m{i}", "body": json.dumps({"task_id": t, "symbol": s})}
                        for i, (t, s) in enumerate(starts)]}  # fmt: skip


def _stream_batch(*events: tuple[str, int, str | None]) -> dict:
    def image(task_id: str, seq: int, symbol: str | None) -> dict:
        data = {"M": {"symbol": {"S": symbol}}} if symbol else {"M": {}}
        return {"task_id": {"S": task_id}, "seq": {"N": str(seq)}, "type": {"S": "task_queued"}, "data": data}

    return {"Records": [{"eventID": str(i), "dynamodb": {"SequenceNumber": str(i), "NewImage": image(*e)}}
                        for i, e in enumerate(events)]}  # fmt: skip


@pytest.fixture
def batch_lambdas(lambdas):
    for logical_id in ("StarterFunction", "ProgressFunction"):
        lambdas.add(LocalFunction(logical_id, f"stack-{logical_id}", "arn:b", f"{functions.__name__}.record", 30, 512))
    return lambdas


def test_a_symbol_scopes_a_batch_by_its_records_and_times_count_per_that_records_task(batch_lambdas):
    batch_lambdas.faults = plan({"target": "starter", "error": "transient", "times": 1, "symbol": "002594.SZ"})
    healthy = _sqs_batch(("a", "600519.SH"), ("b", "000001.SZ"))
    faulty = _sqs_batch(("a", "600519.SH"), ("c", "002594.SZ"))

    assert batch_lambdas.invoke("stack-StarterFunction", healthy).payload == {"ran": True}
    assert batch_lambdas.invoke("stack-StarterFunction", faulty).payload["errorType"] == "TransientAgentError"
    assert batch_lambdas.invoke("stack-StarterFunction", faulty).payload == {"ran": True}  # once for task c
    assert batch_lambdas.invoke("stack-StarterFunction", _sqs_batch(("d", "002594.SZ"))).failed  # task d: its own once


def test_a_crash_runs_the_batch_through_the_matched_record_then_loses_the_answer(batch_lambdas):
    batch_lambdas.faults = plan({"target": "starter", "error": "crash", "times": 1, "symbol": "002594.SZ"})
    batch = _sqs_batch(("a", "600519.SH"), ("c", "002594.SZ"), ("b", "000001.SZ"))

    answer = batch_lambdas.invoke("stack-StarterFunction", batch)
    assert answer.function_error == "Unhandled" and answer.payload["errorType"] == "Runtime.ExitError"
    assert [r["messageId"] for r in functions.calls[0]["Records"]] == ["m0", "m1"]  # m2 never reached
    assert batch_lambdas.invoke("stack-StarterFunction", batch).payload == {"ran": True}  # the redelivery
    assert [r["messageId"] for r in functions.calls[1]["Records"]] == ["m0", "m1", "m2"]


def test_a_crash_outside_a_batch_runs_the_handler_and_answers_runtime_exit(lambdas):
    lambdas.faults = plan({"target": "technical", "error": "crash", "times": 1})
    answer = lambdas.invoke("stack-technical", AGENT_EVENT)
    assert answer.payload["errorType"] == "Runtime.ExitError" and functions.calls == [AGENT_EVENT]


def test_an_undecodable_record_is_garbled_alone_and_the_handler_answers_for_the_batch(batch_lambdas):
    from investmind.adapters.dynamodb.codec import event_from_item

    batch_lambdas.faults = plan({"target": "progress", "error": "undecodable", "symbol": "002594.SZ"})
    batch = _stream_batch(("a", 1, "600519.SH"), ("c", 1, "002594.SZ"), ("c", 2, None))

    assert batch_lambdas.invoke("stack-ProgressFunction", batch).payload == {"ran": True}
    delivered = functions.calls[0]["Records"]
    assert delivered[0] == batch["Records"][0] and delivered[2] == batch["Records"][2]
    assert delivered[1]["eventID"] == "1" and delivered[1]["dynamodb"]["SequenceNumber"] == "1"
    with pytest.raises(ValueError):
        event_from_item(delivered[1]["dynamodb"]["NewImage"])
    assert batch_lambdas.invoke("stack-ProgressFunction", _stream_batch(("a", 2, None))).payload == {"ran": True}
    assert functions.calls[1] == _stream_batch(("a", 2, None))  # a batch without the symbol is untouched


def test_the_plans_error_names_are_the_ones_the_functions_raise_and_the_state_machine_matches():
    from investmind.errors import AgentError, TransientAgentError
    from investmind_emulation import faults

    assert (faults.TRANSIENT_ERROR, faults.PERMANENT_ERROR) == (TransientAgentError.__name__, AgentError.__name__)
    assert faults.TRANSIENT_ERROR in (ROOT / "orchestration" / "analysis.asl.json").read_text()
