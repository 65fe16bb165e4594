"""The steps of an analysis as the state machine runs them: prepare, one agent, finalize, failures.

Domain code: it writes through the ``EventLog`` port and receives its data loader and analyst
function as arguments, so the handlers wire AWS in and the tests can wire fakes in.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from .. import observability
from ..errors import TaskEnded
from ..models import (
    AgentInput,
    AgentResult,
    AgentStatus,
    EventDraft,
    EventType,
    StartRequest,
    TaskContext,
    Usage,
    utc_now_iso,
)
from ..roster import STAGE_NAMES, STAGES, get_agent
from ..store.base import EventLog

logger = logging.getLogger(__name__)

Analyze = Callable[[str, Any, dict[str, AgentResult], list[str]], AgentResult]
Emit = Callable[[str, str, dict[str, Any]], None]
Refine = Callable[[AgentResult, TaskContext, dict[str, AgentResult], Emit], AgentResult]


def _append(log: EventLog, task_id: str, drafts: Sequence[EventDraft], once: str | None = None) -> bool:
    """Append, treating the log's refusal after a terminal event as 'task already ended'."""
    try:
        log.append(task_id, drafts, once=once)
        return True
    except TaskEnded:
        logger.info("task already ended; events not written", extra={"task_id": task_id})
        return False


def _stage_started(stage: int) -> EventDraft:
    return EventDraft(
        type=EventType.stage_started,
        stage=stage,
        data={"name": STAGE_NAMES[stage], "agents": [a.agent_id for a in STAGES[stage]]},
    )


def _stage_completed(stage: int, results: Sequence[AgentResult]) -> EventDraft:
    counts = {status.value: sum(r.status == status for r in results) for status in AgentStatus}
    return EventDraft(type=EventType.stage_completed, stage=stage, data={"name": STAGE_NAMES[stage], **counts})


def prepare(start: StartRequest, log: EventLog, load_snapshot: Callable[[str, dt.date | None], Any]) -> TaskContext:
    """Resolve the data for the analysis (DataUnavailable ends it FAILED) and open stage 1."""
    snapshot = load_snapshot(start.symbol, start.as_of)
    context = TaskContext(
        task_id=start.task_id,
        owner=start.owner,
        symbol=snapshot.symbol,
        name=snapshot.name,
        industry=snapshot.industry,
        as_of=snapshot.as_of,
        agents=start.agents,
        started_at=utc_now_iso(),
        data={name: dict(part) for name, part in snapshot.parts.items()},
    )
    started = EventDraft(
        type=EventType.task_started,
        data={
            "symbol": context.symbol,
            "name": context.name,
            "industry": context.industry,
            "as_of": context.as_of.isoformat(),
            "data": context.data,
        },
    )
    if not _append(log, start.task_id, [started, _stage_started(1)], once="stage:1"):
        raise TaskEnded(f"task {start.task_id} ended before it started")
    return context


def run_agent(
    agent_id: str,
    state: AgentInput,
    log: EventLog,
    *,
    load_snapshot: Callable[[str, dt.date | None], Any],
    analyze: Analyze,
    refine: Refine | None = None,
    simulated_llm_ms: int = 0,
) -> AgentResult:
    """Run one agent: stage bookkeeping, agent_started, the quant core, the LLM step, agent_completed.

    ``refine`` is the LLM step (``llm.refine.Refiner``) when one is configured for this agent: it gets
    the quant result and writes its own ``log`` events (retries, repair, fallback, usage) as they
    happen. Without it, ``simulated_llm_ms`` stands in for its wait (tests and benchmarks only).
    """
    spec = get_agent(agent_id)
    context = state.context
    task_id = context.task_id
    if spec.stage == 1 and agent_id not in context.agents:
        result = AgentResult(
            agent_id=agent_id, stage=1, status=AgentStatus.skipped, summary="not requested for this analysis"
        )
        _append(
            log,
            task_id,
            [
                EventDraft(
                    type=EventType.agent_completed,
                    stage=1,
                    agent_id=agent_id,
                    data={"result": result.model_dump(mode="json")},
                )
            ],
        )
        return result
    _open_stage(spec.stage, state, log)
    _append(log, task_id, [EventDraft(type=EventType.agent_started, stage=spec.stage, agent_id=agent_id)])
    began = time.perf_counter()
    snapshot = load_snapshot(context.symbol, context.as_of)
    upstream = state.upstream()
    result = analyze(agent_id, snapshot, upstream, context.agents)
    compute_ms = round((time.perf_counter() - began) * 1000, 1)
    log_line = EventDraft(
        type=EventType.log,
        stage=spec.stage,
        agent_id=agent_id,
        data={"level": "info", "message": f"{agent_id}: quant core done in {compute_ms} ms", "compute_ms": compute_ms},
    )
    pending = [log_line]
    if refine is not None and result.status == AgentStatus.succeeded:
        _append(log, task_id, pending)  # the quant core's numbers are in before the LLM's wait begins
        pending = []
        result = refine(result, context, upstream, _log_writer(log, task_id, spec.stage, agent_id))
    elif simulated_llm_ms:
        # Stands in for the LLM's wait in tests and benchmarks only (DESIGN §8).
        time.sleep(simulated_llm_ms / 1000)
    done = EventDraft(
        type=EventType.agent_completed,
        stage=spec.stage,
        agent_id=agent_id,
        data={"result": result.model_dump(mode="json")},
    )
    _append(log, task_id, [*pending, done])
    observability.agent_finished(agent_id, (time.perf_counter() - began) * 1000, result.usage)
    return result


def _log_writer(log: EventLog, task_id: str, stage: int, agent_id: str) -> Emit:
    """An ``Emit`` that appends each line as a ``log`` event at once, so a client sees a retry while it waits."""

    def emit(level: str, message: str, data: dict[str, Any]) -> None:
        draft = EventDraft(
            type=EventType.log, stage=stage, agent_id=agent_id, data={"level": level, "message": message, **data}
        )
        _append(log, task_id, [draft])

    return emit


def _open_stage(stage: int, state: AgentInput, log: EventLog) -> None:
    """The first agent of stage N (N > 1) to run closes stage N-1 and opens stage N, exactly once.

    The state machine only starts stage N after every stage N-1 branch returned, and each branch
    wrote its own completion before returning, so this lands after all of stage N-1's events.
    """
    if stage == 1:
        return
    previous: list[AgentResult] = getattr(state, f"stage{stage - 1}")
    _append(
        log,
        state.context.task_id,
        [_stage_completed(stage - 1, previous), _stage_started(stage)],
        once=f"stage:{stage}",
    )


def finalize(state: AgentInput, log: EventLog) -> dict[str, Any]:
    """Close the last stage and the task with the manager's decision."""
    manager = state.stage4[0] if state.stage4 else None
    if manager is None or manager.decision is None:
        reason = manager.error if manager else "no result"
        raise RuntimeError(f"the investment decision manager gave no decision ({reason})")
    results = [*state.stage1, *state.stage2, *state.stage3, *state.stage4]
    usage = sum((r.usage for r in results), Usage())
    degraded = any(r.status == AgentStatus.failed for r in results)
    decision = manager.decision.model_copy(update={"degraded": degraded})
    started = dt.datetime.fromisoformat(state.context.started_at.replace("Z", "+00:00"))
    duration_ms = int((dt.datetime.now(dt.UTC) - started).total_seconds() * 1000)
    completed = EventDraft(
        type=EventType.task_completed,
        data={
            "decision": decision.model_dump(mode="json"),
            "degraded": degraded,
            "usage": usage.model_dump(mode="json"),
            "duration_ms": duration_ms,
        },
    )
    if _append(log, state.context.task_id, [_stage_completed(4, state.stage4), completed]):
        observability.analysis_completed(duration_ms, degraded)
    return {
        "task_id": state.context.task_id,
        "action": decision.action,
        "degraded": degraded,
        "duration_ms": duration_ms,
    }


def describe_error(error: dict[str, Any] | None) -> tuple[str, str]:
    """(error type, message) from a state machine Catch's ``{"Error", "Cause"}``."""
    error = error or {}
    error_type = str(error.get("Error") or "Error")
    cause = error.get("Cause") or ""
    try:
        parsed = json.loads(cause)
        message = parsed.get("errorMessage", cause) if isinstance(parsed, dict) else cause
    except (TypeError, ValueError):
        message = cause
    return error_type, str(message or error_type)


def record_agent_failure(agent_id: str, state: AgentInput, error: dict[str, Any], log: EventLog) -> AgentResult:
    """What the state machine's Catch runs for a failed agent: its failed result and agent_failed."""
    spec = get_agent(agent_id)
    error_type, message = describe_error(error)
    result = AgentResult(
        agent_id=agent_id,
        stage=spec.stage,
        status=AgentStatus.failed,
        summary=f"{spec.title} failed: {message}",
        error=f"{error_type}: {message}",
    )
    _open_stage(spec.stage, state, log)  # in case the agent failed before it could
    _append(
        log,
        state.context.task_id,
        [
            EventDraft(
                type=EventType.agent_failed,
                stage=spec.stage,
                agent_id=agent_id,
                data={"error": message, "error_type": error_type, "result": result.model_dump(mode="json")},
            )
        ],
    )
    observability.agent_failed(agent_id)
    return result


def record_task_failure(task_id: str, error_type: str, message: str, log: EventLog) -> bool:
    """End the task FAILED with its reason; False when it had already ended."""
    ended_now = _append(
        log, task_id, [EventDraft(type=EventType.task_failed, data={"error": message, "error_type": error_type})]
    )
    if ended_now:
        observability.analysis_failed()
    return ended_now
