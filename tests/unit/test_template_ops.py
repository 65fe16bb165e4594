"""Operations: the template's parameters, tracing, logs, alarms and dashboard, and the EMF metrics they read."""

from __future__ import annotations

import io
import json
import logging
import re
import threading
from types import SimpleNamespace

import pytest
from aws_lambda_powertools import Logger

from infra.runtime import NOT_EMULATED
from infra.template import Template
from investmind import observability
from investmind.handlers import progress, starter
from investmind.handlers.instrument import lambda_logging
from investmind.models import Usage
from investmind.settings import get_settings
from investmind.store import LogHead

TEMPLATE = Template.load()
RESOURCES = TEMPLATE.resources
GLOBAL_ENV = TEMPLATE.doc["Globals"]["Function"]["Environment"]["Variables"]
NAMESPACE_SUB = "InvestMind/${AWS::StackName}"


def _dashboard() -> dict:
    body = RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    return json.loads(re.sub(r"\$\{([^}!]+)\}", lambda m: f"<{m[1]}>", body))


def _alarm_metrics(logical_id: str) -> list[dict]:
    props = RESOURCES[logical_id]["Properties"]
    if "Metrics" in props:
        return [m["MetricStat"]["Metric"] for m in props["Metrics"] if "MetricStat" in m]
    return [{"Namespace": props["Namespace"], "MetricName": props["MetricName"], "Dimensions": props["Dimensions"]}]


def _dimension_values(metrics: list[dict]) -> list:
    return [d["Value"] for m in metrics for d in m["Dimensions"]]


@pytest.fixture
def emf_lines(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """The EMF documents the invocations of a test write (parsed), instead of stdout."""
    lines: list[dict] = []
    monkeypatch.setattr(observability.emf_logger, "info", lambda line: lines.append(json.loads(line)))
    return lines


# -- the template -------------------------------------------------------------------------------------
def test_parameters_for_stage_logs_quotas_and_alarms_are_described_with_defaults():
    parameters = TEMPLATE.doc["Parameters"]
    for name in ("Stage", "LogLevel", "LogRetentionDays", "MaxConcurrentStarts", "ApiThrottleRate", "AlarmEmail"):
        assert parameters[name]["Description"] and "Default" in parameters[name], name
    assert {"dev", "prod", "local"} == set(parameters["Stage"]["AllowedValues"])


def test_quotas_bound_the_starter_per_queue_and_the_api_rate():
    for event in RESOURCES["StarterFunction"]["Properties"]["Events"].values():
        assert event["Properties"]["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "MaxConcurrentStarts"}}
    routes = RESOURCES["HttpApi"]["Properties"]["DefaultRouteSettings"]
    assert routes == {
        "ThrottlingRateLimit": {"Ref": "ApiThrottleRate"},
        "ThrottlingBurstLimit": {"Ref": "ApiThrottleBurst"},
    }


def test_functions_and_state_machine_are_traced_and_log_to_one_group_with_retention():
    function = TEMPLATE.doc["Globals"]["Function"]
    assert function["Tracing"] == "Active"
    assert RESOURCES["AnalysisStateMachine"]["Properties"]["Tracing"] == {"Enabled": True}
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "FunctionsLogGroup"}}
    assert RESOURCES["FunctionsLogGroup"]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert GLOBAL_ENV["POWERTOOLS_METRICS_NAMESPACE"] == {"Fn::Sub": NAMESPACE_SUB}
    assert NAMESPACE_SUB.startswith(observability.DEFAULT_NAMESPACE + "/")


def test_alarms_watch_the_dlqs_queue_age_executions_and_api_5xx_and_notify_the_topic():
    alarms = TEMPLATE.of_type("AWS::CloudWatch::Alarm")
    dlqs = {lid for lid in TEMPLATE.of_type("AWS::SQS::Queue") if lid.endswith("DLQ")}
    queues = set(TEMPLATE.of_type("AWS::SQS::Queue")) - dlqs - {"ProgressFailuresQueue"}  # no start queue
    watched = {alarm: _dimension_values(_alarm_metrics(alarm)) for alarm in alarms}
    assert {v["Fn::GetAtt"][0] for v in watched["DeadLettersAlarm"]} == dlqs
    assert {v["Fn::GetAtt"][0] for v in watched["QueueAgeAlarm"]} == queues
    assert {m["MetricName"] for m in _alarm_metrics("QueueAgeAlarm")} == {"ApproximateAgeOfOldestMessage"}
    assert watched["ExecutionFailuresAlarm"] == [{"Ref": "AnalysisStateMachine"}] * 2
    assert watched["Api5xxAlarm"] == [{"Ref": "HttpApi"}]
    for props in (a["Properties"] for a in alarms.values()):
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}] and props["AlarmDescription"]
    subscription = RESOURCES["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"]["Endpoint"] == {"Ref": "AlarmEmail"}


def test_dashboard_shows_every_metric_the_queues_the_state_machine_and_the_api():
    text = json.dumps(_dashboard())
    for spec in observability.METRICS:
        assert f'"{spec.name}"' in text or f'\\"{spec.name}\\"' in text, spec.name
    namespace = NAMESPACE_SUB.replace("${AWS::StackName}", "<AWS::StackName>")
    service = GLOBAL_ENV["POWERTOOLS_SERVICE_NAME"]
    widgets = _dashboard()["widgets"]
    plain = [m for w in widgets for m in w["properties"].get("metrics", []) if isinstance(m[0], str)]
    ours = [m for m in plain if m[0] == namespace]
    assert ours and all(m[2:4] == ["service", service] for m in ours)
    rows = [m for w in widgets for m in w["properties"].get("metrics", [])]
    searches = [x["expression"] for m in rows for x in m if isinstance(x, dict) and "expression" in x]
    per_agent = {s.name for s in observability.METRICS if s.per_agent}
    assert per_agent <= {n for s in searches for n in re.findall(r'MetricName="(\w+)"', s) if namespace in s}
    for lid in ("HighQueue", "NormalQueue", "LowQueue", "HighDLQ", "NormalDLQ", "LowDLQ"):
        assert f"<{lid}.QueueName>" in text
    assert "<AnalysisStateMachine>" in text and "<HttpApi>" in text
    assert "<FunctionsLogGroup>" in text


def test_outputs_give_the_api_console_and_dashboard_urls():
    outputs = TEMPLATE.doc["Outputs"]
    for key in ("ApiUrl", "ConsoleUrl", "DashboardUrl", "AlarmTopicArn", "FunctionsLogGroupName"):
        assert outputs[key]["Description"]


def test_embedded_runtime_declares_but_does_not_create_the_operations_resources():
    created = {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Serverless::Function"}
    created |= {"AWS::Serverless::StateMachine", "AWS::Serverless::HttpApi"}
    kinds = {resource["Type"] for resource in RESOURCES.values()}
    assert kinds - created <= NOT_EMULATED, "infra/runtime.py must create or skip every resource type"


# -- the metrics -----------------------------------------------------------------------------------
def test_an_invocation_writes_one_emf_document_per_dimension_set(emf_lines, monkeypatch):
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "investmind")
    with observability.invocation_metrics():
        observability.agent_finished("macro", 12.5, Usage(tokens_in=100, tokens_out=20, cost_usd=0.001))
        observability.events_appended(3)
    assert len(emf_lines) == 2
    by_agent = {doc.get("agent_id"): doc for doc in emf_lines}
    agent, service = by_agent["macro"], by_agent[None]
    (directive,) = agent["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == observability.DEFAULT_NAMESPACE
    assert sorted(directive["Dimensions"][0]) == ["agent_id", "service"]
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "AgentLatency": "Milliseconds",
        "LlmTokensIn": "Count",
        "LlmTokensOut": "Count",
        "LlmCostUsd": "None",
    }
    assert (agent["AgentLatency"], agent["LlmTokensIn"], agent["LlmCostUsd"]) == ([12.5], [100], [0.001])
    assert service["EventsAppended"] == [3] and service["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]


def test_metrics_outside_an_invocation_are_dropped_and_disabled_metrics_write_nothing(emf_lines, monkeypatch):
    observability.analysis_failed()
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    with observability.invocation_metrics():
        observability.analysis_failed()
    assert emf_lines == []


def test_concurrent_invocations_on_threads_keep_their_own_metrics(emf_lines):
    agents = [f"agent{i}" for i in range(8)]
    barrier = threading.Barrier(len(agents))

    def invoke(agent_id: str) -> None:
        with observability.invocation_metrics():
            for value in range(5):
                barrier.wait(timeout=10)  # every thread records between every other's records
                observability.agent_failed(agent_id)
                observability.agent_finished(agent_id, float(value), Usage())

    threads = [threading.Thread(target=invoke, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(doc["agent_id"] for doc in emf_lines) == agents
    assert all(doc["AgentFailures"] == [1] * 5 and doc["AgentLatency"] == [0, 1, 2, 3, 4] for doc in emf_lines)


def test_handler_lines_carry_task_and_agent_ids_and_its_metrics_are_flushed(emf_lines, monkeypatch):
    stream = io.StringIO()
    logger = Logger(service="ops-test", logger_handler=logging.StreamHandler(stream))
    monkeypatch.setenv("AGENT_ID", "technical")
    get_settings.cache_clear()

    @lambda_logging(logger)
    def handler(event, context):
        logger.info("working")
        observability.agent_failed("technical")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        handler({"context": {"task_id": "t-1"}}, _context())
    line = json.loads(stream.getvalue().splitlines()[0])
    assert (line["task_id"], line["agent_id"], line["function_name"]) == ("t-1", "technical", "fn")
    assert [doc["AgentFailures"] for doc in emf_lines] == [[1]]


def test_starter_records_the_time_from_queue_to_execution_start(emf_lines, monkeypatch):
    log = SimpleNamespace(head=lambda task_id: LogHead(next_seq=2))  # an open log
    monkeypatch.setattr(starter, "event_log", lambda settings: log)
    monkeypatch.setattr(starter, "execution_starter", lambda settings: SimpleNamespace(start=lambda start: True))
    monkeypatch.setattr(starter, "time", SimpleNamespace(time=lambda: 1764300002.5))
    body = json.dumps({"task_id": "t-2", "owner": "o", "symbol": "600519.SH"})
    record = {"messageId": "m1", "receiptHandle": "r", "body": body, "attributes": {"SentTimestamp": "1764300000000"}}
    record |= {"messageAttributes": {}, "md5OfBody": "0", "eventSource": "aws:sqs", "eventSourceARN": "arn:q"}
    assert starter.lambda_handler({"Records": [record]}, _context()) == {"batchItemFailures": []}
    assert [doc["QueueToStartLatency"] for doc in emf_lines] == [[2500.0]]


def test_progress_counts_each_appended_event_once_across_a_resumed_batch(emf_lines, monkeypatch):
    # GIVEN a batch of two tasks' events where the projection of task b fails at its first record
    def apply_events(tasks, log, events):
        if events[0].task_id == "b":
            raise RuntimeError("projection failed")

    monkeypatch.setattr(progress, "apply_events", apply_events)
    monkeypatch.setattr(progress, "stores", lambda settings: (None, None))
    images = [("a", 1, 1001), ("b", 1, 1002), ("a", 2, 1003), ("b", 2, 1004)]
    records = [{"dynamodb": {"NewImage": _event_image(t, s), "SequenceNumber": str(n)}} for t, s, n in images]
    # WHEN the handler folds it
    response = progress.lambda_handler({"Records": records}, _context())
    # THEN the stream resumes at b's first record, and only the one record before it is counted now
    assert response == {"batchItemFailures": [{"itemIdentifier": "1002"}]}
    assert [doc["EventsAppended"] for doc in emf_lines] == [[1]]


def _context():
    from infra.lambdas import LambdaContext

    return LambdaContext("fn", "arn:aws:lambda:us-east-1:123456789012:function:fn", 128, 30)


def _event_image(task_id: str, seq: int) -> dict:
    from investmind.adapters.dynamodb.codec import event_item
    from investmind.models import Event, EventType

    return event_item(Event(task_id=task_id, seq=seq, type=EventType.log, ts="2026-11-28T00:00:00.000Z"), 0)
