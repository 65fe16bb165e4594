"""The steps of an analysis as the state machine runs them: prepare, one agent, finalize, failures.

Domain code: it writes through the ``EventLog`` port and receives its data loader and analyst
function as arguments, so the handlers wire AWS in and the tests can wire fakes in.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .. import observability
from ..errors import NotFound, TaskEnded
from ..models import (
    AgentInput,
    AgentResult,
    AgentStatus,
    DataPart,
    EventDraft,
    EventType,
    ResultRef,
    StartRequest,
    TaskContext,
    Usage,
    utc_now_iso,
)
from ..roster import STAGE_NAMES, STAGES, get_agent
from .ports import EventLog, ResultStore

logger = logging.getLogger(__name__)

Analyze = Callable[[str, Any, dict[str, AgentResult], list[str]], AgentResult]
Emit = Callable[[str, str, dict[str, Any]], None]
Refine = Callable[[AgentResult, TaskContext, dict[str, AgentResult], Emit], AgentResult]


def append_or_ended(log: EventLog, task_id: str, drafts: Sequence[EventDraft], once: str | None = None) -> bool:
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


@dataclass(frozen=True, slots=True)
class Outcome:
    """An agent's recorded result and the seq of the event that holds it (None when the log refused it)."""

    result: AgentResult
    seq: int | None

    @property
    def ref(self) -> ResultRef:
        """What the state machine carries on (a few hundred bytes, whatever the result's text)."""
        return ResultRef.of(self.result, self.seq)


def _stage_completed(stage: int, results: Sequence[ResultRef]) -> EventDraft:
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
        data={name: DataPart.model_validate(part) for name, part in snapshot.parts.items()},
    )
    started = EventDraft(
        type=EventType.task_started,
        data={
            "symbol": context.symbol,
            "name": context.name,
            "industry": context.industry,
            "as_of": context.as_of.isoformat(),
            "data": {name: part.model_dump(mode="json") for name, part in context.data.items()},
        },
    )
    if not enter_stage(log, start.task_id, 1, first=[started]):
        raise TaskEnded(f"task {start.task_id} ended before it started")
    return context


def run_agent(
    agent_id: str,
    state: AgentInput,
    log: EventLog,
    results: ResultStore,
    *,
    load_snapshot: Callable[[str, dt.date | None], Any],
    analyze: Analyze,
    refine: Refine | None = None,
    simulated_llm_ms: int = 0,
    attempt: int = 1,
) -> Outcome:
    """Run one agent: stage bookkeeping, agent_started, the quant core, the LLM step, agent_completed.

    The state carries references to the earlier stages' results; the results are loaded from ``results``
    (their outcome events in the log), and the returned ``Outcome.ref`` is what the state machine carries on.

    ``attempt`` is the state machine's (``$$.State.RetryCount`` + 1): agent_started and agent_completed
    are written once per task whatever the retries, each retry is a warning ``log`` event, and a retry
    of an agent whose result is already recorded returns that result without running again.

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
        skipped = EventDraft(
            type=EventType.agent_completed, stage=1, agent_id=agent_id, data={"result": result.model_dump(mode="json")}
        )
        return record_outcome(log, task_id, agent_id, [skipped], result)
    enter_stage(log, task_id, spec.stage, state.results_of(spec.stage - 1))
    recorded = _open_attempt(log, task_id, spec.stage, agent_id, attempt)
    if recorded is not None:  # an earlier attempt's result is in the log: that one stands
        return recorded
    began = time.perf_counter()
    snapshot = load_snapshot(context.symbol, context.as_of)
    upstream = results.load(task_id, state.refs())
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
        append_or_ended(log, task_id, pending)  # the quant core's numbers are in before the LLM's wait begins
        pending = []
        result = refine(result, context, upstream, _log_writer(log, task_id, spec.stage, agent_id))
    elif simulated_llm_ms:
        # Stands in for the LLM's wait in tests and benchmarks only (docs/architecture.md §9).
        time.sleep(simulated_llm_ms / 1000)
    done = EventDraft(
        type=EventType.agent_completed,
        stage=spec.stage,
        agent_id=agent_id,
        data={"result": result.model_dump(mode="json")},
    )
    outcome = record_outcome(log, task_id, agent_id, [*pending, done], result)
    observability.agent_finished(agent_id, (time.perf_counter() - began) * 1000, outcome.result.usage)
    return outcome


def _attempt_marker(agent_id: str, attempt: int | str) -> str:
    return f"agent:{agent_id}:attempt:{attempt}"


def _done_marker(agent_id: str) -> str:
    return f"agent:{agent_id}:done"


def _open_attempt(log: EventLog, task_id: str, stage: int, agent_id: str, attempt: int) -> Outcome | None:
    """Write this attempt's opening once, and return the agent's recorded result if it has one already.

    Exactly once per agent (docs/architecture.md §4): the first attempt to run writes ``agent_started``;
    every retry is a ``log`` warning with its attempt number, also for the attempts that failed before
    their handler ran (a throttle, an injected fault), which the first attempt to run writes for them.
    The append carries the marker ``agent:<id>:attempt:<n>``, so an attempt's opening lands once.
    """
    try:
        head = log.head(task_id)
    except NotFound:
        return None  # an unknown task: every append below would be refused the same way
    prefix = _attempt_marker(agent_id, "")
    ran = max((int(m.removeprefix(prefix)) for m in head.markers if m.startswith(prefix)), default=0)
    drafts = [
        EventDraft(
            type=EventType.log,
            stage=stage,
            agent_id=agent_id,
            data={"level": "warning", "message": f"{agent_id}: retry, attempt {n}", "attempt": n},
        )  # fmt: skip
        for n in range(max(ran + 1, 2), attempt + 1)
    ]
    done = _done_marker(agent_id) in head.markers
    if ran == 0 and not done:  # an agent recorded failed before it ever ran is not started after
        drafts.append(
            EventDraft(type=EventType.agent_started, stage=stage, agent_id=agent_id, data={"attempt": attempt})
        )
    append_or_ended(log, task_id, drafts, once=_attempt_marker(agent_id, attempt))
    return recorded_outcome(log, task_id, agent_id) if done else None


def record_outcome(
    log: EventLog, task_id: str, agent_id: str, drafts: Sequence[EventDraft], result: AgentResult
) -> Outcome:
    """Append an agent's ``agent_completed`` / ``agent_failed`` (the last of ``drafts``) once per task.

    The marker ``agent:<id>:done`` makes the first outcome the only one: a late result after the state
    machine recorded the agent failed (or a failure recorded after its result landed) is refused, and
    the recorded outcome is returned instead, so the state machine goes on with what the log says.
    """
    try:
        if events := log.append(task_id, drafts, once=_done_marker(agent_id)):
            return Outcome(result, events[-1].seq)
    except TaskEnded:
        logger.info("task already ended; events not written", extra={"task_id": task_id})
        return Outcome(result, None)
    logger.warning("agent outcome already recorded; this one refused", extra={"task_id": task_id, "agent_id": agent_id})
    return recorded_outcome(log, task_id, agent_id) or Outcome(result, None)


def recorded_outcome(log: EventLog, task_id: str, agent_id: str) -> Outcome | None:
    """The result in the agent's ``agent_completed`` / ``agent_failed`` event, if the log holds one."""
    after, found = 0, None
    while True:
        page = log.read(task_id, after=after, limit=1000)
        for event in page:
            outcome = event.type in (EventType.agent_completed, EventType.agent_failed)
            if outcome and event.agent_id == agent_id and event.data.get("result"):
                found = Outcome(AgentResult.model_validate(event.data["result"]), event.seq)
        if len(page) < 1000:
            return found
        after = page[-1].seq


def _log_writer(log: EventLog, task_id: str, stage: int, agent_id: str) -> Emit:
    """An ``Emit`` that appends each line as a ``log`` event at once, so a client sees a retry while it waits."""

    def emit(level: str, message: str, data: dict[str, Any]) -> None:
        draft = EventDraft(
            type=EventType.log, stage=stage, agent_id=agent_id, data={"level": level, "message": message, **data}
        )
        append_or_ended(log, task_id, [draft])

    return emit


def enter_stage(
    log: EventLog,
    task_id: str,
    stage: int,
    previous: Sequence[ResultRef] = (),
    *,
    first: Sequence[EventDraft] = (),
    then: Sequence[EventDraft] = (),
) -> bool:
    """Stage ``stage``'s boundary, written once by whichever step of that stage writes first.

    The one rule for stage events (docs/architecture.md, "Who writes which event"): the boundary of
    stage N is ``stage_completed(N-1)`` (counts of the stage's results) then ``stage_started(N)``,
    appended exactly once per task under the marker ``stage:N``. Stage 1's is written by PrepareData
    (with ``task_started``), stage N's (2-4) by the first of its agents to start or to be recorded
    failed, and the end's (N = 5: only ``stage_completed(4)``) by Finalize (with ``task_completed``).
    The state machine starts stage N only after every branch of stage N-1 returned, and each branch
    wrote its own events before returning, so the boundary lands after all of stage N-1's events.

    ``previous`` are stage N-1's results; ``first`` and ``then`` are the owner's own events, appended
    in the same write before and after the boundary (``task_started``, ``task_completed``). Returns
    False when the log refused it (the task ended); True also when another step had written the
    boundary already.
    """
    drafts = [_stage_completed(stage - 1, previous)] if stage > 1 else []
    if stage in STAGES:
        drafts.append(_stage_started(stage))
    return append_or_ended(log, task_id, [*first, *drafts, *then], once=f"stage:{stage}")


def finalize(state: AgentInput, log: EventLog, results: ResultStore) -> dict[str, Any]:
    """Close the last stage and the task with the manager's decision (the results loaded from the log)."""
    loaded = results.load(state.context.task_id, state.refs())
    manager = loaded.get(state.stage4[0].agent_id) if state.stage4 else None
    if manager is None or manager.decision is None:
        reason = manager.error if manager else "no result"
        raise RuntimeError(f"the investment decision manager gave no decision ({reason})")
    usage = sum((r.usage for r in loaded.values()), Usage())
    degraded = any(ref.status == AgentStatus.failed for ref in state.refs())
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
    if enter_stage(log, state.context.task_id, len(STAGES) + 1, state.stage4, then=[completed]):
        observability.analysis_completed(duration_ms, degraded)
    return {
        "task_id": state.context.task_id,
        "action": decision.action,
        "degraded": degraded,
        "duration_ms": duration_ms,
    }
