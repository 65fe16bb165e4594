"""One analysis in-process, stage by stage, as the state machine runs it (no server, no AWS).

The steps are the pipeline's own (``services.pipeline``: prepare, run_agent, record_agent_failure,
finalize), fed what the state machine feeds them: each agent gets the JSON state of the stages
before it, a failed agent becomes the failed result its Catch records, and the decision is the one
``finalize`` writes into ``task_completed``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from investmind import analysts
from investmind.market import Snapshot
from investmind.models import (
    AgentInput,
    AgentResult,
    Decision,
    Event,
    EventDraft,
    EventType,
    ResultRef,
    StartRequest,
    utc_now_iso,
)
from investmind.roster import STAGE1_IDS, STAGES
from investmind.services.failures import AgentFailure, CaughtError, record_agent_failure
from investmind.services.pipeline import finalize, prepare, run_agent
from investmind.store.base import LogHead

Loader = Callable[[str, dt.date | None], Snapshot]


@dataclass(frozen=True, slots=True)
class Analysis:
    """What one analysis produced: every agent's result, the decision, and the snapshot it read."""

    symbol: str
    as_of: dt.date
    snapshot: Snapshot
    results: dict[str, AgentResult]
    decision: Decision | None
    error: str | None = None
    """Why there is no decision (the analysis would have ended ``task_failed``)."""


class _CapturingLog:
    """An ``EventLog`` for one in-process analysis: it keeps only the decision ``finalize`` writes."""

    def __init__(self) -> None:
        self.decision: Decision | None = None
        self.markers: set[str] = set()
        self.written = 0

    def append(self, task_id: str, drafts: Sequence[EventDraft], once: str | None = None) -> list[Event]:
        if once is not None:  # the log's own rule: an append under a marker already written writes nothing
            if once in self.markers:
                return []
            self.markers.add(once)
        for draft in drafts:
            if draft.type == EventType.task_completed:
                self.decision = Decision.model_validate(draft.data["decision"])
        # What was written, as a log answers (an empty answer means "refused" to the pipeline's steps).
        first, self.written = self.written + 1, self.written + len(drafts)
        now = utc_now_iso()
        return [Event(**d.model_dump(), seq=first + i, task_id=task_id, ts=now) for i, d in enumerate(drafts)]

    def read(self, task_id: str, after: int = 0, limit: int = 1000) -> list[Event]:
        return []

    def head(self, task_id: str) -> LogHead:
        return LogHead(next_seq=1, ended=self.decision is not None, markers=frozenset(self.markers))


class _KeptResults:
    """A ``ResultStore`` for one in-process analysis: the results as the agents returned them, by agent."""

    def __init__(self) -> None:
        self.results: dict[str, AgentResult] = {}

    def load(self, task_id: str, refs: Sequence[ResultRef]) -> dict[str, AgentResult]:
        return {ref.agent_id: self.results[ref.agent_id] for ref in refs if ref.agent_id in self.results}


def _caught(exc: Exception) -> CaughtError:
    """The ``{"Error", "Cause"}`` a Step Functions Catch hands on for a Lambda that raised ``exc``."""
    name = type(exc).__name__
    return CaughtError(Error=name, Cause=json.dumps({"errorMessage": str(exc), "errorType": name}))


def _loaded_once(load: Loader) -> tuple[Loader, dict[tuple[str, dt.date | None], Snapshot]]:
    """``load`` memoised for one analysis: prepare and every agent read the same snapshot, built once."""
    seen: dict[tuple[str, dt.date | None], Snapshot] = {}

    def cached(symbol: str, as_of: dt.date | None) -> Snapshot:
        key = (symbol, as_of)
        if key not in seen:
            snapshot = load(symbol, as_of)
            seen[key] = seen[(snapshot.symbol, snapshot.as_of)] = snapshot
        return seen[key]

    return cached, seen


def analyse(
    symbol: str, as_of: dt.date, load: Loader, agents: Sequence[str] = STAGE1_IDS, language: str = "en"
) -> Analysis:
    """The whole pipeline on ``symbol`` at ``as_of``, its texts in ``language``; ``DataUnavailable`` when
    prepare would fail the task."""
    log = _CapturingLog()
    cached, seen = _loaded_once(load)
    start = StartRequest(
        task_id=f"backtest-{symbol}-{as_of.isoformat()}",
        owner="backtest",
        symbol=symbol,
        as_of=as_of,
        agents=list(agents),
    )
    context = prepare(start, log, cached)
    snapshot = seen[(context.symbol, context.as_of)]
    state: dict[str, Any] = {"context": context.model_dump(mode="json")}
    kept = _KeptResults()
    for stage, specs in STAGES.items():
        outputs = []
        for spec in specs:  # the state machine runs them in parallel; each sees only earlier stages
            agent_input = AgentInput.model_validate(state)
            try:
                outcome = run_agent(
                    spec.agent_id, agent_input, log, kept, load_snapshot=cached,
                    analyze=functools.partial(analysts.analyze, language=language),
                )  # fmt: skip
            except Exception as exc:  # the per-agent Catch is States.ALL: any error fails the agent only
                failure = AgentFailure(agent_id=spec.agent_id, state=agent_input, error=_caught(exc))
                outcome = record_agent_failure(failure, log)
            outputs.append(outcome.ref.model_dump(mode="json"))
            kept.results[spec.agent_id] = outcome.result
        state[f"stage{stage}"] = outputs
    results = kept.results
    error = None
    try:
        finalize(AgentInput.model_validate(state), log, kept)
    except RuntimeError as exc:  # the outer Catch: the task would end FAILED with this reason
        error = str(exc)
    return Analysis(context.symbol, context.as_of, snapshot, results, log.decision, error)
