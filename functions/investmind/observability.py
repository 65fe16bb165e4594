"""Metrics of an analysis as CloudWatch EMF log lines (Powertools' EMF provider), one set per Lambda invocation.

Every metric is defined here; the handlers and the pipeline record through the small functions at
the bottom, and the template's dashboard and alarms read the same names (a unit test keeps them in
step). Records go to the metric set of the current invocation, which ``investmind.handlers.instrument.lambda_logging``
opens around each handler and flushes when the handler returns. Outside an invocation (domain code
called directly by a test, the API app) they are dropped.

Powertools' ``Metrics`` keeps one metric set per process, shared by all its instances. The embedded
runtime runs many invocations at once on threads of one process, where that set would mix and flush
their metrics; so each invocation gets its own ``AmazonCloudWatchEMFProvider`` objects instead, held
in a context variable (per thread, and inherited by the asyncio tasks it starts).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

    from .models import Usage

logger = logging.getLogger(__name__)
DEFAULT_NAMESPACE = "InvestMind"
"""Used where ``POWERTOOLS_METRICS_NAMESPACE`` is unset; the template sets ``InvestMind/<stack name>``."""
AGENT_DIMENSION = "agent_id"


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: str
    """A CloudWatch unit name (Powertools' ``MetricUnit`` values); a string, so that the pipeline can record
    metrics without importing Powertools, which loads botocore: only an invocation's metric set does."""
    per_agent: bool
    """Recorded with the ``agent_id`` dimension (besides Powertools' ``service``)."""
    meaning: str


ANALYSIS_DURATION = MetricSpec("AnalysisDuration", "Milliseconds", False, "PrepareData to decision")
ANALYSES_COMPLETED = MetricSpec("AnalysesCompleted", "Count", False, "analyses that reached a decision")
ANALYSES_DEGRADED = MetricSpec("AnalysesDegraded", "Count", False, "completed with a failed agent")
ANALYSES_FAILED = MetricSpec("AnalysesFailed", "Count", False, "analyses that ended task_failed")
QUEUE_TO_START = MetricSpec("QueueToStartLatency", "Milliseconds", False, "sent to SQS to execution started")
AGENT_LATENCY = MetricSpec("AgentLatency", "Milliseconds", True, "one agent, first event to result")
AGENT_FAILURES = MetricSpec("AgentFailures", "Count", True, "agents recorded failed after retries")
LLM_TOKENS_IN = MetricSpec("LlmTokensIn", "Count", True, "prompt tokens")
LLM_TOKENS_OUT = MetricSpec("LlmTokensOut", "Count", True, "completion tokens")
LLM_COST = MetricSpec("LlmCostUsd", "None", True, "LLM cost in US dollars")
EVENTS_APPENDED = MetricSpec("EventsAppended", "Count", False, "events written to the event log")

METRICS: tuple[MetricSpec, ...] = (
    ANALYSIS_DURATION,
    ANALYSES_COMPLETED,
    ANALYSES_DEGRADED,
    ANALYSES_FAILED,
    QUEUE_TO_START,
    AGENT_LATENCY,
    AGENT_FAILURES,
    LLM_TOKENS_IN,
    LLM_TOKENS_OUT,
    LLM_COST,
    EVENTS_APPENDED,
)

# EMF documents must be whole log lines of their own (not inside the Logger's JSON), so they get a
# logger of their own that writes the bare line to stdout, as Powertools' Metrics does with print().
# The embedded runtime can point its handler elsewhere like any other (infra/runtime.py).
emf_logger = logging.getLogger("investmind.metrics")
emf_logger.propagate = False
emf_logger.setLevel(logging.INFO)
if not emf_logger.handlers:
    _handler = logging.StreamHandler(sys.stdout)
    _handler.setFormatter(logging.Formatter("%(message)s"))
    emf_logger.addHandler(_handler)


class InvocationMetrics:
    """The metrics of one invocation: one EMF document per dimension set, written by :meth:`flush`."""

    def __init__(self) -> None:
        from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider

        self._provider = AmazonCloudWatchEMFProvider
        self._namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or DEFAULT_NAMESPACE
        self._sets: dict[str | None, AmazonCloudWatchEMFProvider] = {}
        self._lock = threading.Lock()

    def add(self, spec: MetricSpec, value: float, agent_id: str | None = None) -> None:
        key = agent_id if spec.per_agent else None
        with self._lock:
            provider = self._sets.get(key)
            if provider is None:
                # Fresh dicts: never the class-level ones Powertools' Metrics shares per process.
                provider = self._provider(namespace=self._namespace, metric_set={}, dimension_set={}, metadata_set={})
                if key is not None:
                    provider.add_dimension(AGENT_DIMENSION, key)
                self._sets[key] = provider
            provider.add_metric(name=spec.name, unit=spec.unit, value=value)

    def documents(self) -> list[dict[str, Any]]:
        with self._lock:
            return [provider.serialize_metric_set() for provider in self._sets.values() if provider.metric_set]

    def flush(self) -> None:
        from aws_lambda_powertools.metrics.functions import is_metrics_disabled

        if is_metrics_disabled():
            return
        for document in self.documents():
            emf_logger.info(json.dumps(document, separators=(",", ":")))


_current: ContextVar[InvocationMetrics | None] = ContextVar("investmind_metrics", default=None)


@contextmanager
def invocation_metrics() -> Iterator[InvocationMetrics]:
    """Collect the metrics recorded inside the block and write them when it ends, even on an error."""
    metrics = InvocationMetrics()
    token = _current.set(metrics)
    try:
        yield metrics
    finally:
        _current.reset(token)
        try:
            metrics.flush()
        except Exception:  # metrics never fail an invocation, nor hide the error it raised
            logger.exception("could not write the invocation's metrics")


# Values only, no task ids: one document aggregates every record of a batch (the log lines carry
# task_id and agent_id for drilling down).
def _record(spec: MetricSpec, value: float, agent_id: str | None = None) -> None:
    metrics = _current.get()
    if metrics is not None:
        metrics.add(spec, value, agent_id)


def analysis_completed(duration_ms: float, degraded: bool) -> None:
    _record(ANALYSIS_DURATION, duration_ms)
    _record(ANALYSES_COMPLETED, 1)
    _record(ANALYSES_DEGRADED, int(degraded))


def analysis_failed() -> None:
    _record(ANALYSES_FAILED, 1)


def queue_to_start(latency_ms: float) -> None:
    _record(QUEUE_TO_START, max(latency_ms, 0.0))


def agent_finished(agent_id: str, latency_ms: float, usage: Usage) -> None:
    _record(AGENT_LATENCY, latency_ms, agent_id)
    _record(LLM_TOKENS_IN, usage.tokens_in, agent_id)
    _record(LLM_TOKENS_OUT, usage.tokens_out, agent_id)
    _record(LLM_COST, usage.cost_usd, agent_id)


def agent_failed(agent_id: str) -> None:
    _record(AGENT_FAILURES, 1, agent_id)


def events_appended(count: int) -> None:
    if count:
        _record(EVENTS_APPENDED, count)
