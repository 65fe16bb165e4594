"""The fault plan (``INVESTMIND_FAULTS``): faults the emulations inject, for tests and benchmarks.

The plan is a JSON list of rules, e.g.::

    [{"target": "technical", "error": "permanent"},
     {"target": "funds", "error": "transient", "times": 1, "symbol": "000858.SZ"}]

``target`` names a function (:func:`fault_target`): an agent id (its ``AGENT_ID``), or ``prepare`` /
``finalize`` (any function's logical id without ``Function``, lower-cased). ``error`` is what the invocation
answers instead of running the handler (:class:`FaultKind`); ``times`` (default: always) counts
per task; ``symbol`` scopes a rule to analyses of one symbol, so that one running system serves
faulty and healthy tasks side by side. The task and the symbol are read from the invocation's
event: ``context.task_id`` / ``context.symbol`` for an agent (inside its ``state``) or Finalize, the start request's
``task_id`` / ``symbol`` for Prepare. A batch (an SQS or DynamoDB-stream event, ``Records``) is
scoped by its records: a rule with ``symbol`` matches the batch when one of its records is of that
symbol (an SQS body's ``symbol``, a stream record's ``data.symbol``: ``task_queued``'s), and its ``times``
count per that record's task; a rule without ``symbol`` matches every batch, its record the first.

Two faults let the handler run rather than answer instead of it: ``crash`` runs the handler (for a
batch, on its records up to and including the matched one) and then dies, so its answer is lost;
``undecodable`` garbles the matched record of a batch and runs the handler on the whole batch.

A rule with a ``symbol`` also matches events and records that name a task but not its symbol, by the
symbol the plan saw that task with before (its start request reaches the API's send step and Prepare
first): the execution-ended rule's event (``detail.name``), FailTask's input (``task_id``), and a stream
record of any event of that task.

Beyond the functions, ``api.send`` is the API's send step: any rule on it makes the embedded API process
die between creating the task and sending its start message (``infra/faults.py``).

The production functions know nothing of it: what invokes them consults the plan before running a handler,
``infra/lambdas.py`` in the embedded runtime, ``localstack_host/executor.py`` on LocalStack (one plan for all
the functions in either, so that counts and the symbols seen are shared). Each writes one line per fault
fired, :func:`fired_line`, to the function's log. A new fault is a new :class:`FaultKind` and its
:meth:`FaultRule.answer`.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

# The error types the functions raise (``investmind.errors``), by name: the state machine's Retry and Catch
# match them (tests/unit/infra/test_faults.py checks they are the package's).
TRANSIENT_ERROR = "TransientAgentError"
PERMANENT_ERROR = "AgentError"
FAULTS_VARIABLE = "INVESTMIND_FAULTS"
"""The environment variable that carries the plan (each function's, on LocalStack)."""
FAULT_TARGET_VARIABLE = "INVESTMIND_FAULT_TARGET"
"""On LocalStack, the function's :func:`fault_target`, set beside the plan (the executor sees no logical id)."""


class FaultKind(StrEnum):
    transient = "transient"
    """A function error the state machine retries (``TransientAgentError``)."""
    permanent = "permanent"
    """A function error it does not retry (``AgentError``): the Catch handles it."""
    timeout = "timeout"
    """The function's timeout, as Lambda answers it (``Sandbox.Timedout``), at once rather than after the wait."""
    throttle = "throttle"
    """Lambda's Invoke API refusing the call (``TooManyRequestsException``, HTTP 429): the handler never runs."""
    crash = "crash"
    """The process dying after the handler ran (for a batch: on the records through the matched one),
    before it answered: Lambda reports ``Runtime.ExitError`` and the event source retries the whole batch."""
    undecodable = "undecodable"
    """The matched record of a batch garbled beyond decoding (a poison record); the handler runs on the batch."""


@dataclass(frozen=True)
class FaultAnswer:
    """What an invocation answers instead of running: a function error, or an Invoke API error (``api_status``)."""

    error_type: str
    message: str
    api_status: int | None = None


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str = Field(min_length=1)
    error: FaultKind = FaultKind.permanent
    times: int | None = Field(default=None, ge=0)
    symbol: str | None = None

    def answer(self, timeout_s: float) -> FaultAnswer:
        """This fault as Lambda would report it for a function with ``timeout_s``."""
        injected = f"injected {self.error.value} fault in {self.target}"
        if self.error is FaultKind.transient:
            return FaultAnswer(TRANSIENT_ERROR, injected)
        if self.error is FaultKind.permanent:
            return FaultAnswer(PERMANENT_ERROR, injected)
        if self.error is FaultKind.timeout:
            return FaultAnswer("Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds ({injected})")
        if self.error is FaultKind.crash:
            return FaultAnswer("Runtime.ExitError", f"Runtime exited with error: signal: killed ({injected})")
        return FaultAnswer("TooManyRequestsException", f"Rate Exceeded. ({injected})", api_status=429)


_RULES = TypeAdapter(list[FaultRule])


def task_and_symbol(event: Any) -> tuple[str | None, str | None]:
    """The task and symbol an invocation serves: from the event's ``context``, or its top level."""
    if not isinstance(event, dict):
        return None, None
    if isinstance(event.get("state"), dict):  # an agent's input: {"state": AgentInput, "attempt": n}
        event = event["state"]
    scope = event["context"] if isinstance(event.get("context"), dict) else event
    task_id, symbol = scope.get("task_id"), scope.get("symbol")
    return (task_id if isinstance(task_id, str) else None), (symbol if isinstance(symbol, str) else None)


def record_scope(record: Any) -> tuple[str | None, str | None]:
    """The task and symbol of one batch record: an SQS message's JSON body, or a stream record's NewImage."""
    if not isinstance(record, dict):
        return None, None
    if isinstance(record.get("body"), str):
        try:
            return task_and_symbol(json.loads(record["body"]))
        except ValueError:
            return None, None
    image = (record.get("dynamodb") or {}).get("NewImage") or {}
    task_id = (image.get("task_id") or {}).get("S")
    symbol = (((image.get("data") or {}).get("M") or {}).get("symbol") or {}).get("S")
    return task_id, symbol


def batch_records(event: Any) -> list | None:
    """The records of a batch event (SQS, DynamoDB stream), None for any other event."""
    records = event.get("Records") if isinstance(event, dict) else None
    return records if isinstance(records, list) else None


@dataclass(frozen=True)
class Firing:
    """A rule firing on one invocation; ``record`` is the batch record it matched (None: not a batch)."""

    rule: FaultRule
    record: int | None = None

    def answer(self, timeout_s: float) -> FaultAnswer:
        return self.rule.answer(timeout_s)

    @property
    def runs_handler(self) -> bool:
        """Whether the handler runs despite the fault (``crash`` before dying, ``undecodable`` on the garbled batch)."""
        return self.rule.error in (FaultKind.crash, FaultKind.undecodable)

    def event_for_handler(self, event: Any) -> Any:
        """What the handler is given: for a crash, the batch's records through the matched one; for an
        undecodable record, the batch with that record's payload garbled; otherwise the event itself."""
        records = batch_records(event)
        if records is None or self.record is None:
            return {"injected": f"{self.rule.error.value} fault"} if self.rule.error is FaultKind.undecodable else event
        if self.rule.error is FaultKind.crash:
            return {**event, "Records": records[: self.record + 1]}
        if self.rule.error is FaultKind.undecodable:
            garbled = dict(records[self.record])
            if "body" in garbled:
                garbled["body"] = "\x00injected undecodable record"
            else:  # a stream record: its image no longer has an event's shape
                image = dict(garbled.get("dynamodb") or {})
                image["NewImage"] = {"task_id": image.get("NewImage", {}).get("task_id", {"S": ""}),
                                     "seq": {"S": "injected undecodable record"}}  # fmt: skip
                garbled["dynamodb"] = image
            return {**event, "Records": [*records[: self.record], garbled, *records[self.record + 1 :]]}
        return event


def fault_target(logical_id: str, environment: dict[str, str]) -> str:
    """How the plan names a function: its agent id, else ``PrepareFunction`` → ``prepare``."""
    return environment.get("AGENT_ID") or logical_id.removesuffix("Function").lower()


def fired_line(target: str, kind: FaultKind, scope: str) -> str:
    """The log line of a fault fired (the tests read which faults fired, for which task, from it)."""
    return f"{target}: injected {kind.value} fault ({scope})"


def fired_scope(event: Any, fault: Firing) -> str:
    """Which task a fault hit, for its log line: ``task <id>`` (and the batch record's position)."""
    records = batch_records(event)
    if records is None or fault.record is None:
        return f"task {task_and_symbol(event)[0]}"
    record = records[fault.record]
    identifier = record.get("eventID") or record.get("messageId")
    return f"task {record_scope(record)[0]}, record {fault.record + 1} of {len(records)}, id {identifier}"


API_SEND = "api.send"
"""The API's step between creating a task and sending its start message (not a function)."""


class FaultPlan:
    """The rules, how often each has fired per task, and the symbol of each task seen."""

    def __init__(self, rules: Iterable[FaultRule] = ()) -> None:
        self.rules = tuple(rules)
        self._fired: Counter[tuple[int, str | None]] = Counter()
        self._symbols: dict[str, str] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_json(cls, plan: str | None) -> FaultPlan:
        """Parse ``INVESTMIND_FAULTS``; a malformed plan is a ``ValueError`` saying what is wrong."""
        if not plan or not plan.strip():
            return cls()
        try:
            return cls(_RULES.validate_python(json.loads(plan)))
        except (ValueError, ValidationError) as exc:
            raise ValueError(f"{FAULTS_VARIABLE} is not a valid fault plan: {exc}") from exc

    def check_targets(self, targets: Collection[str]) -> None:
        """Refuse a rule whose target names no function (nor ``api.send``): it would silently never fire."""
        unknown = sorted({rule.target for rule in self.rules} - {*targets, API_SEND})
        if unknown:
            raise ValueError(f"{FAULTS_VARIABLE}: no function is called {unknown}; targets are {sorted(targets)}")

    def take(self, target: str, event: Any) -> Firing | None:
        """The rule that fires for this invocation of ``target``, counted; None when none is left."""
        records = batch_records(event)
        scopes = self._scopes(event, records)
        for index, rule in enumerate(self.rules):
            if rule.target != target:
                continue
            matched = self._match(rule, scopes, records)
            if matched is None:
                continue
            task_id, record = matched
            with self._lock:
                if rule.times is not None and self._fired[(index, task_id)] >= rule.times:
                    continue
                self._fired[(index, task_id)] += 1
            return Firing(rule, record)
        return None

    def _scopes(self, event: Any, records: list | None) -> list[tuple[str | None, str | None]]:
        """(task, symbol) of the event, or of each batch record; a symbol the event lacks is the one this
        plan saw its task with, and one it names is remembered for the task's later events."""
        if records is not None:
            scopes = [record_scope(record) for record in records]
        else:
            task_id, symbol = task_and_symbol(event)
            detail = event.get("detail") if isinstance(event, dict) else None
            if task_id is None and isinstance(detail, dict) and isinstance(detail.get("name"), str):
                task_id = detail["name"]  # EventBridge's execution status change: named after its task
            scopes = [(task_id, symbol)]
        with self._lock:
            for task_id, symbol in scopes:
                if task_id is not None and symbol is not None:
                    self._symbols[task_id] = symbol
            return [(t, s if s is not None else self._symbols.get(t or "")) for t, s in scopes]

    @staticmethod
    def _match(
        rule: FaultRule, scopes: list[tuple[str | None, str | None]], records: list | None
    ) -> tuple[str | None, int | None] | None:
        """(the task ``times`` counts for, the matched batch record), or None when the rule does not apply."""
        if records is None:
            task_id, symbol = scopes[0]
            return None if rule.symbol and rule.symbol != symbol else (task_id, None)
        if not rule.symbol:
            return None, (0 if records else None)
        for position, (task_id, symbol) in enumerate(scopes):
            if symbol == rule.symbol:
                return task_id, position
        return None

    @property
    def crashes_api(self) -> bool:
        return any(rule.target == API_SEND for rule in self.rules)
