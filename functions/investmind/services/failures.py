"""Failures, each from the one source that reports it, recorded so that nothing is lost (invariant 4).

- an agent that failed for good (the state machine's per-agent Catch): ``agent_failed``, and the
  analysis goes on degraded;
- an error no agent Catch handled (the outer Catch, state FailTask): ``task_failed`` with the reason;
- a task that could not start (its message reached a DLQ): ``task_failed``;
- an execution that ended outside the state machine's own handling (timed out, aborted, failed):
  ``task_failed``, unless the log had ended already (a cancel aborts the execution too).
"""

from __future__ import annotations

import json
import logging

from pydantic import BaseModel, Field, ValidationError

from .. import observability
from ..errors import NotFound
from ..models import AgentInput, AgentResult, AgentStatus, EventDraft, EventType, StartRequest
from ..roster import get_agent
from .pipeline import append_or_ended, enter_stage, record_outcome
from .ports import EventLog

logger = logging.getLogger(__name__)


class CaughtError(BaseModel):
    """What a state machine ``Catch`` puts at its ``ResultPath``."""

    Error: str = "Error"
    Cause: str | None = None

    def describe(self) -> tuple[str, str]:
        """(error type, message): a Lambda error's ``Cause`` is ``{"errorType", "errorMessage", …}`` JSON."""
        message = self.Cause or ""
        try:
            parsed = json.loads(message)
            if isinstance(parsed, dict):
                message = str(parsed.get("errorMessage", message))
        except (TypeError, ValueError):
            pass
        return self.Error, message or self.Error


class AgentFailure(BaseModel):
    """The input of an agent's ``…Failed`` state: which agent, the state it was given, what it raised."""

    agent_id: str
    state: AgentInput
    error: CaughtError


class TaskFailure(BaseModel):
    """The input of FailTask: the task (the execution's name) and the error no agent Catch handled."""

    task_id: str
    error: CaughtError


class ExecutionEnded(BaseModel):
    """The ``detail`` of Step Functions' "Execution Status Change" event (EventBridge)."""

    name: str = Field(description="the execution's name: the task id")
    status: str

    def describe(self) -> tuple[str, str]:
        """(error type, message) of the ``task_failed`` it ends its task with: ``ExecutionTimedOut``, …"""
        return "Execution" + self.status.title().replace("_", ""), f"the execution ended {self.status}"


def record_agent_failure(failure: AgentFailure, log: EventLog) -> AgentResult:
    """The failed agent's result, recorded as ``agent_failed`` (with its stage's boundary if it was first)."""
    spec = get_agent(failure.agent_id)
    error_type, message = failure.error.describe()
    result = AgentResult(
        agent_id=spec.agent_id,
        stage=spec.stage,
        status=AgentStatus.failed,
        summary=f"{spec.title} failed: {message}",
        error=f"{error_type}: {message}",
    )
    failed = EventDraft(
        type=EventType.agent_failed,
        stage=spec.stage,
        agent_id=spec.agent_id,
        data={"error": message, "error_type": error_type, "result": result.model_dump(mode="json")},
    )
    task_id = failure.state.context.task_id
    # The agent may have failed before it could write its stage's boundary.
    enter_stage(log, task_id, spec.stage, failure.state.results_of(spec.stage - 1))
    # Once per agent: if its result landed first (a Lambda that finished as the state machine gave up on
    # it), that result stands and is what the analysis goes on with.
    recorded = record_outcome(log, task_id, spec.agent_id, [failed], result)
    if recorded is result:
        observability.agent_failed(spec.agent_id)
    return recorded


def record_task_failure(task_id: str, error_type: str, message: str, log: EventLog) -> bool:
    """End the task FAILED with its reason; False when it had already ended."""
    draft = EventDraft(type=EventType.task_failed, data={"error": message, "error_type": error_type})
    ended_now = append_or_ended(log, task_id, [draft])
    if ended_now:
        observability.analysis_failed()
    return ended_now


def record_caught_failure(failure: TaskFailure, log: EventLog) -> bool:
    return record_task_failure(failure.task_id, *failure.error.describe(), log)


def record_dead_letter(body: str, attempts: int, log: EventLog) -> bool:
    """A start message that could not be processed: its task ends FAILED with how often it was tried.

    Every message drains (invariant 4: the DLQ has no redrive, so a message that failed here would
    fail its batch forever): one that names no task (undecodable) or an unknown one (no log head) is
    a logged discard; one whose task has ended already changes nothing. Returns True when it ended
    the task now.
    """
    try:
        start = StartRequest.model_validate_json(body)
    except ValidationError as exc:
        logger.warning("dead letter names no task; discarded", extra={"error": str(exc)[:500], "body": body[:500]})
        return False
    try:
        return record_task_failure(start.task_id, "DeadLetter", f"could not start after {attempts} attempts", log)
    except NotFound:
        logger.warning("dead letter for an unknown task; discarded", extra={"task_id": start.task_id})
        return False


def record_execution_ended(ended: ExecutionEnded, log: EventLog) -> bool:
    """An execution that ended without the state machine recording it (timeout, abort, failure).

    Every failure the state machine handles ends its execution SUCCEEDED (FailTask ends in a Succeed
    state), so the rule reports only these; a cancel also aborts, and then the log has ended already.
    """
    return record_task_failure(ended.name, *ended.describe(), log)
