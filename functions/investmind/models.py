"""Pydantic models shared by the API, the handlers, the agents and the tests (docs/architecture.md §2-3)."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .market.symbols import normalize_symbol
from .roster import AGENT_IDS, STAGE1_IDS


class Priority(StrEnum):
    high = "high"
    normal = "normal"
    low = "low"


class TaskStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


TERMINAL_STATUSES = frozenset({TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELLED})


class EventType(StrEnum):
    task_queued = "task_queued"
    task_started = "task_started"
    stage_started = "stage_started"
    agent_started = "agent_started"
    log = "log"
    agent_completed = "agent_completed"
    agent_failed = "agent_failed"
    stage_completed = "stage_completed"
    progress = "progress"
    task_completed = "task_completed"
    task_failed = "task_failed"
    task_cancelled = "task_cancelled"


TERMINAL_STATUS: dict[EventType, TaskStatus] = {
    EventType.task_completed: TaskStatus.SUCCEEDED,
    EventType.task_failed: TaskStatus.FAILED,
    EventType.task_cancelled: TaskStatus.CANCELLED,
}
"""How each terminal event ends a task: the one mapping (the projection, the API, the CLI and the console)."""
TERMINAL_EVENTS = frozenset(TERMINAL_STATUS)


def status_after(event_type: EventType, status: TaskStatus) -> TaskStatus:
    """The status once an event of ``event_type`` is in the log: a terminal event ends it, others leave it."""
    return TERMINAL_STATUS.get(event_type, status)


class Stance(StrEnum):
    bullish = "bullish"
    neutral = "neutral"
    bearish = "bearish"


class AgentStatus(StrEnum):
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"


class AgentState(StrEnum):
    """An agent's place in a running task (the projection's view)."""

    pending = "pending"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"


Score = Annotated[float, Field(ge=-100, le=100)]
Unit = Annotated[float, Field(ge=0, le=1)]


class Usage(BaseModel):
    llm_calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            llm_calls=self.llm_calls + other.llm_calls,
            tokens_in=self.tokens_in + other.tokens_in,
            tokens_out=self.tokens_out + other.tokens_out,
            latency_ms=self.latency_ms + other.latency_ms,
            cost_usd=round(self.cost_usd + other.cost_usd, 8),
        )


Action = Literal["BUY", "HOLD", "SELL"]
Rating = Literal["Buy", "Overweight", "Hold", "Underweight", "Sell"]
RATINGS_FOR_ACTION: dict[str, frozenset[str]] = {
    "BUY": frozenset({"Buy", "Overweight"}),
    "HOLD": frozenset({"Hold"}),
    "SELL": frozenset({"Underweight", "Sell"}),
}


class Decision(BaseModel):
    """The investment decision manager's verdict; its text never contradicts its fields.

    BUY: buy within ``entry_range`` up to ``position_pct`` of the book. HOLD: keep a position of at most
    ``position_pct`` (trim above it), no entry and no new buying; the stop and target protect what is
    held. SELL: exit, no position. ``tradeable`` is False when too few agents succeeded to decide
    (``missing`` says which): the action is then HOLD with no position advice and no levels.
    Levels are traded prices (``price_basis`` "traded"); where only adjusted prices exist ("adjusted")
    they are given only relative to the close, as fractions (``*_pct``: -0.05 is 5% below).
    """

    action: Action
    rating: Rating
    position_pct: Annotated[float, Field(ge=0, le=100)]
    entry_range: tuple[float, float] | None = None
    stop_loss: float | None = None
    take_profit: float | None = None
    horizon_days: Annotated[int, Field(ge=1, le=3650)]
    confidence: Unit
    rationale: str
    dissent: list[str] = Field(default_factory=list)
    degraded: bool = False
    tradeable: bool = True
    missing: list[str] = Field(default_factory=list)
    """Agents whose failure left too little to decide on (empty when ``tradeable``)."""
    price_basis: Literal["traded", "adjusted"] = "traded"
    entry_range_pct: tuple[float, float] | None = None
    stop_loss_pct: float | None = None
    take_profit_pct: float | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Decision:
        if self.rating not in RATINGS_FOR_ACTION[self.action]:
            raise ValueError(f"rating {self.rating} contradicts action {self.action}")
        if self.action not in self.rationale:
            raise ValueError(f"the rationale must name the action {self.action}")
        if self.action == "SELL" and self.position_pct > 0:
            raise ValueError("a SELL decision holds no position")
        if self.action != "BUY" and (self.entry_range is not None or self.entry_range_pct is not None):
            raise ValueError(f"a {self.action} decision has no entry range")
        if self.price_basis == "adjusted" and (self.stop_loss, self.take_profit) != (None, None):
            raise ValueError("levels on adjusted prices were never traded: give them relative to the close")
        if not self.tradeable:
            levels = (self.stop_loss, self.take_profit, self.stop_loss_pct, self.take_profit_pct)
            if self.action != "HOLD" or self.position_pct or any(v is not None for v in levels) or not self.missing:
                raise ValueError("a decision that is not tradeable is a HOLD with no position, no levels, and a cause")
        return self


class AgentResult(BaseModel):
    agent_id: str
    stage: Annotated[int, Field(ge=1, le=4)]
    status: AgentStatus
    stance: Stance = Stance.neutral
    score: Score = 0.0
    confidence: Unit = 0.0
    summary: str = ""
    signals: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, float | int | None] = Field(default_factory=dict)
    evidence: list[str] = Field(default_factory=list)
    provider: str = "quant"
    usage: Usage = Field(default_factory=Usage)
    error: str | None = None
    decision: Decision | None = None
    """Set by ``investment_gm`` only."""
    fallback: bool = False
    """True when an LLM was configured but gave no valid answer, so this is the quant core's result (the
    reason is in a ``log`` event); ``usage`` still counts the calls it made."""

    @field_validator("agent_id")
    @classmethod
    def _known_agent(cls, value: str) -> str:
        if value not in AGENT_IDS:
            raise ValueError(f"unknown agent {value!r}")
        return value


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class AnalysisRequest(BaseModel):
    """Body of ``POST /v1/analyses``."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"symbol": "600519"}]})

    symbol: Annotated[str, Field(min_length=1, max_length=16, description="600519, 600519.SH, sh.600519, …")]
    market: Annotated[str | None, Field(description="SH, SZ or BJ; inferred from the code when absent")] = None
    as_of: Annotated[dt.date | None, Field(description="analyse as of this date; default: latest data")] = None
    priority: Priority = Priority.normal
    agents: Annotated[
        list[str] | None,
        Field(
            description=f"a subset of the stage-1 analysts: {', '.join(STAGE1_IDS)}",
            json_schema_extra={"items": {"type": "string", "enum": list(STAGE1_IDS)}, "minItems": 1},
        ),
    ] = None

    @model_validator(mode="after")
    def _normalise(self) -> AnalysisRequest:
        self.symbol = normalize_symbol(self.symbol, self.market)
        self.market = self.symbol.split(".")[1]
        return self

    @field_validator("as_of", mode="before")
    @classmethod
    def _spelt_as_a_date(cls, value: object) -> object:
        # Lax pydantic reads 0, 1.7e9 or "1700000000" as seconds since 1970: only a date, spelt YYYY-MM-DD.
        if value is None or isinstance(value, dt.date):
            return value
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
            raise ValueError("as_of must be a date spelt YYYY-MM-DD")
        return value

    @field_validator("as_of")
    @classmethod
    def _not_future(cls, value: dt.date | None) -> dt.date | None:
        if value is not None and value > dt.datetime.now(dt.UTC).date():
            raise ValueError("as_of is in the future")
        return value

    @field_validator("agents")
    @classmethod
    def _stage1_subset(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = sorted(set(value) - set(STAGE1_IDS))
        if unknown:
            raise ValueError(f"not stage-1 analysts: {', '.join(unknown)} (choose from {', '.join(STAGE1_IDS)})")
        if not value:
            raise ValueError("agents, when given, must name at least one stage-1 analyst")
        return [a for a in STAGE1_IDS if a in value]


class StartRequest(BaseModel):
    """What the API puts on the queue and the starter passes to the state machine as its input."""

    task_id: str
    owner: str
    symbol: str
    as_of: dt.date | None = None
    priority: Priority = Priority.normal
    agents: list[str] = Field(default_factory=lambda: list(STAGE1_IDS))


class DataPart(BaseModel):
    """Where one part of an analysis' market data came from (``Snapshot.parts``): shown to the user."""

    source: str | None = None
    """The provider that supplied it (``bundled``, ``akshare``, ``tushare``), None when missing."""
    as_of: dt.date | None = None
    fetched_at: str | None = None
    first: dt.date | None = None
    last: dt.date | None = None
    rows: int = 0
    stale: bool = False
    """A cached copy served because every provider failed, or data that stops before the market's last session."""
    missing: bool = False
    note: str | None = None


class TaskContext(BaseModel):
    """What PrepareData resolved for one analysis; every agent receives it."""

    task_id: str
    owner: str
    symbol: str
    name: str | None = None
    industry: str | None = None
    as_of: dt.date
    agents: list[str]
    started_at: str
    data: dict[str, DataPart] = Field(default_factory=dict)
    """Per data part (``market.PART_NAMES``): its source, dates, rows, and whether it is stale or missing."""


class ResultRef(BaseModel):
    """An agent's outcome as the state machine carries it: its labels and where its whole result is.

    The result itself lives in the log, in the agent's ``agent_completed`` / ``agent_failed`` event at
    ``seq``; the state carries only this, so the state after stage 4 stays a few KB whatever an LLM
    wrote (Step Functions' 256 KB payload limit; invariant 9). Later stages and Finalize load the
    results they read through ``services.ports.ResultStore``.
    """

    agent_id: str
    stage: Annotated[int, Field(ge=1, le=4)]
    status: AgentStatus
    stance: Stance = Stance.neutral
    score: Score = 0.0
    confidence: Unit = 0.0
    seq: Annotated[int, Field(ge=1)] | None = None
    """The seq of the event holding the result; None when the log refused it (the task had ended)."""

    @classmethod
    def of(cls, result: AgentResult, seq: int | None) -> ResultRef:
        return cls(
            **result.model_dump(include={"agent_id", "stage", "status", "stance", "score", "confidence"}), seq=seq
        )


class AgentInput(BaseModel):
    """The state an agent Task receives: the context and references to the results of earlier stages."""

    context: TaskContext
    stage1: list[ResultRef] = Field(default_factory=list)
    stage2: list[ResultRef] = Field(default_factory=list)
    stage3: list[ResultRef] = Field(default_factory=list)
    stage4: list[ResultRef] = Field(default_factory=list)

    def results_of(self, stage: int) -> list[ResultRef]:
        """The references of ``stage``'s results (none before stage 1)."""
        return list(getattr(self, f"stage{stage}")) if stage >= 1 else []

    def refs(self) -> list[ResultRef]:
        """Every result referenced so far, stage by stage."""
        return [*self.stage1, *self.stage2, *self.stage3, *self.stage4]


class EventDraft(BaseModel):
    """An event before the log gives it a seq and a timestamp."""

    type: EventType
    stage: int | None = None
    agent_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


MAX_SEQ = 10**15 - 1
"""The largest seq a client may name (``after``, ``Last-Event-ID``): 15 digits, exact in JavaScript (under
2**53) and well within DynamoDB's number type (38 digits); no log comes near it."""


class Event(EventDraft):
    seq: Annotated[int, Field(ge=1)]
    task_id: str
    ts: str
    """ISO-8601 UTC with milliseconds, set by the writer."""

    @property
    def terminal(self) -> bool:
        return self.type in TERMINAL_EVENTS


class AgentView(BaseModel):
    """One agent's state inside the Task projection."""

    agent_id: str
    stage: int
    state: AgentState = AgentState.pending
    stance: Stance | None = None
    score: float | None = None
    confidence: float | None = None
    summary: str | None = None
    provider: str | None = None
    error: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    usage: Usage | None = None
    """The usage of the agent's result (the task's usage is their sum)."""
    result_seq: int | None = None
    """The seq of the event holding ``result``: the task item keeps this reference, not the result."""
    result: AgentResult | None = None
    """The whole result; a read of the task (``TaskStore.get``) loads it from the log at ``result_seq``."""


class Progress(BaseModel):
    percent: Annotated[int, Field(ge=0, le=100)] = 0
    stage: int | None = None
    completed: int = 0
    total: int = 0


class TaskState(BaseModel):
    """What every view of a task carries: the request, the status and progress, usage, timing, log position.

    ``Task`` (GET) adds the agents' views and the whole decision; ``TaskSummary`` (a list row) the
    decision without its narrative.
    """

    task_id: str
    owner: str
    symbol: str
    as_of: dt.date | None = None
    priority: Priority = Priority.normal
    agents_requested: list[str] = Field(default_factory=lambda: list(STAGE1_IDS))
    status: TaskStatus = TaskStatus.QUEUED
    degraded: bool = False
    stage: int | None = None
    progress: Progress = Field(default_factory=Progress)
    usage: Usage = Field(default_factory=Usage)
    error: str | None = None
    created_at: str
    updated_at: str
    started_at: str | None = None
    ended_at: str | None = None
    applied_seq: int = 0
    """The last event seq folded into this projection (replayed stream records at or below it are skipped)."""
    ended_seq: int | None = None
    """The seq of the terminal event once the log has one: the last seq of the task's log."""

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES


class Task(TaskState):
    """The projection of a task's event log, as the API returns it."""

    agents: dict[str, AgentView] = Field(default_factory=dict)
    decision: Decision | None = None


class DecisionSummary(BaseModel):
    """The decision's fields without its narrative: what a list row shows."""

    action: Action
    rating: Rating
    position_pct: float
    horizon_days: int
    confidence: float
    degraded: bool = False


class TaskSummary(TaskState):
    """A task as the list returns it: its state without the agents' results and the decision's narrative.

    Bounded whatever an LLM writes (invariant 9): a page of 100 stays far below Lambda's 6 MB response
    limit; GET /v1/analyses/{id} has the whole Task.
    """

    decision: DecisionSummary | None = None

    MAX_ERROR: ClassVar[int] = 500
    """Characters of ``error`` a row keeps (an exception's message may be long; GET has it whole)."""

    @classmethod
    def of(cls, task: Task) -> TaskSummary:
        fields = task.model_dump(include=set(TaskState.model_fields) - {"error"})
        decision = DecisionSummary.model_validate(task.decision.model_dump()) if task.decision else None
        error = task.error[: cls.MAX_ERROR] if task.error else None
        return cls(**fields, decision=decision, error=error)


def utc_now_iso() -> str:
    """Now, UTC, ISO-8601 with milliseconds and a ``Z`` (sortable as text)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
