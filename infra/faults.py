"""The fault plan (``INVESTMIND_FAULTS``): faults the embedded runtime injects, for tests and benchmarks.

The plan is a JSON list of rules, e.g.::

    [{"target": "technical", "error": "permanent"},
     {"target": "funds", "error": "transient", "times": 1, "symbol": "000858.SZ"}]

``target`` names a function: an agent id (its ``AGENT_ID``), or ``prepare`` / ``finalize`` (any
function's logical id without ``Function``, lower-cased). ``error`` is what the invocation
answers instead of running the handler (:class:`FaultKind`); ``times`` (default: always) counts
per task; ``symbol`` scopes a rule to analyses of one symbol, so that one running system serves
faulty and healthy tasks side by side. The task and the symbol are read from the invocation's
event: ``context.task_id`` / ``context.symbol`` for an agent (inside its ``state``) or Finalize, the start request's
``task_id`` / ``symbol`` for Prepare. An event without a task (a queue or stream batch) matches only
rules without ``symbol``, and their ``times`` count the function's invocations.

The production functions know nothing of it: ``infra/lambdas.py`` consults the plan before it runs
a handler. A new fault is a new :class:`FaultKind` and its :meth:`FaultRule.answer`.

A rule with a ``symbol`` also matches events that name a task but not its symbol, by the symbol the
plan saw that task with before (its start request reaches the API's send step and Prepare first):
the execution-ended rule's event (``detail.name``), FailTask's input (``task_id``), and a stream
batch, which it matches if a record of a task of its symbol is in it (the whole batch then fails, as
it would on AWS), counted per that task. A rule without one reads every event as above.

Beyond the functions, ``api.send`` is the API's send step: any rule on it makes the API process die
between creating the task and sending its start message (:class:`CrashingQueue`).
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

from investmind.errors import AgentError, TransientAgentError


class FaultKind(StrEnum):
    transient = "transient"
    """A function error the state machine retries (``TransientAgentError``)."""
    permanent = "permanent"
    """A function error it does not retry (``AgentError``): the Catch handles it."""
    timeout = "timeout"
    """The function's timeout, as Lambda answers it (``Sandbox.Timedout``), at once rather than after the wait."""
    throttle = "throttle"
    """Lambda's Invoke API refusing the call (``TooManyRequestsException``, HTTP 429): the handler never runs."""


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
            return FaultAnswer(TransientAgentError.__name__, injected)
        if self.error is FaultKind.permanent:
            return FaultAnswer(AgentError.__name__, injected)
        if self.error is FaultKind.timeout:
            return FaultAnswer("Sandbox.Timedout", f"Task timed out after {timeout_s:.2f} seconds ({injected})")
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


def _scopes(event: Any) -> list[tuple[str | None, str | None]]:
    """Every (task, symbol) an invocation serves: a stream batch's tasks, the rule's execution, or one scope."""
    if isinstance(event, dict) and isinstance(event.get("Records"), list):
        ids = [
            r.get("dynamodb", {}).get("NewImage", {}).get("task_id", {}).get("S")
            for r in event["Records"]
            if isinstance(r, dict) and r.get("eventSource") == "aws:dynamodb"
        ]
        return [(task_id, None) for task_id in dict.fromkeys(i for i in ids if isinstance(i, str))]
    detail = event.get("detail") if isinstance(event, dict) else None
    if isinstance(detail, dict) and isinstance(detail.get("name"), str):
        return [(detail["name"], None)]  # EventBridge's execution status change: named after its task
    return [task_and_symbol(event)]


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
            raise ValueError(f"INVESTMIND_FAULTS is not a valid fault plan: {exc}") from exc

    def check_targets(self, targets: Collection[str]) -> None:
        """Refuse a rule whose target names no function (nor ``api.send``): it would silently never fire."""
        unknown = sorted({rule.target for rule in self.rules} - {*targets, API_SEND})
        if unknown:
            raise ValueError(f"INVESTMIND_FAULTS: no function is called {unknown}; targets are {sorted(targets)}")

    def take(self, target: str, event: Any) -> FaultRule | None:
        """The rule that fires for this invocation of ``target``, counted; None when none is left."""
        direct = task_and_symbol(event)
        with self._lock:
            if direct[0] is not None and direct[1] is not None:
                self._symbols[direct[0]] = direct[1]
            scoped = [(t, s if s is not None else self._symbols.get(t or "")) for t, s in _scopes(event)]
        for index, rule in enumerate(self.rules):
            if rule.target != target:
                continue
            # A rule without a symbol keeps today's reading (a batch is one invocation, counted as such).
            for task_id, symbol in scoped if rule.symbol else [direct]:
                if rule.symbol and rule.symbol != symbol:
                    continue
                with self._lock:
                    if rule.times is not None and self._fired[(index, task_id)] >= rule.times:
                        continue
                    self._fired[(index, task_id)] += 1
                return rule
        return None

    @property
    def crashes_api(self) -> bool:
        return any(rule.target == API_SEND for rule in self.rules)


class ApiCrash(BaseException):
    """The API process dying mid-request: a BaseException, so that no handler of the app's catches it (the
    app's own send-failure path, which fails the task, must not run); uvicorn answers the request 500."""


class CrashingQueue:
    """The API's start queue with the ``api.send`` faults: a planned one dies before the message is sent."""

    def __init__(self, queue: Any, plan: FaultPlan) -> None:
        self.queue, self.plan = queue, plan

    async def send(self, start: Any) -> Any:
        if self.plan.take(API_SEND, start.model_dump(mode="json")) is not None:
            raise ApiCrash(f"injected crash of the API between creating {start.task_id} and sending it")
        return await self.queue.send(start)
