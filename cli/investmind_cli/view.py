"""What the CLI shows of an analysis: the live table folded from its events, plain lines, usage."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from investmind.models import AgentState, AgentView, Event, EventType, Task
from investmind.projection import fold, initial_agents
from investmind.roster import STAGE_NAMES, STAGES

Envelope = dict[str, Any]
STATE_STYLE = {"pending": "dim", "running": "cyan", "succeeded": "green", "failed": "red", "skipped": "yellow"}
STANCE_STYLE = {"bullish": "green", "neutral": "white", "bearish": "red"}
_ONE_LINE: dict[str, Any] = {"no_wrap": True, "overflow": "ellipsis"}


class LiveView:
    """What ``--follow`` shows: the task folded from its events by the projection's own fold (the one
    reading of the log, ``investmind.projection``), a row per stage and per agent, and the decision."""

    def __init__(self, task_id: str = "") -> None:
        self.task = Task(task_id=task_id, owner="", symbol="", created_at="", updated_at="")
        self.title = "analysis"

    @property
    def status(self) -> str:
        return self.task.status.value

    @property
    def percent(self) -> int:
        return self.task.progress.percent

    @property
    def rows(self) -> dict[str, dict[str, Any]]:
        """Stage and agent rows (``state``, ``stance``, ``score``, ``summary``, ``provider``), in roster order."""
        rows: dict[str, dict[str, Any]] = {}
        views = {**initial_agents(self.task.agents_requested), **self.task.agents}
        for stage, specs in STAGES.items():
            agents = [views[a.agent_id] for a in specs]
            label = f"Stage {stage} · {STAGE_NAMES[stage]}"
            rows[f"stage:{stage}"] = {"label": label, **_stage_row(agents, stage, self.task)}
            for spec, view in zip(specs, agents, strict=True):
                rows[spec.agent_id] = {"label": f"  {spec.title}", **_agent_row(view)}
        return rows

    def apply(self, envelope: Envelope) -> list[str]:
        """Fold one event in; returns the lines to print above the table (log lines, failures, the end)."""
        event = Event.model_validate(envelope)
        self.task = fold(self.task, event)
        data, agent = event.data, event.agent_id
        if event.type == EventType.task_started:
            self.title = f"{data.get('symbol')} {data.get('name') or ''}".strip()
        elif event.type == EventType.agent_failed:
            return [f"{agent} failed: {data.get('error')}"]
        elif event.type == EventType.log:
            return [f"{event.ts[11:19]} {data.get('level', 'info')} {agent or '-'}: {data.get('message')}"]
        elif event.terminal:
            why = data.get("error") or data.get("reason")
            return [f"analysis {self.status}" + (f": {why}" if why else "")]
        return []

    def table(self) -> Table:
        agents = [row for key, row in self.rows.items() if not key.startswith("stage:")]
        done = sum(row["state"] in ("succeeded", "failed", "skipped") for row in agents)
        title = f"{self.title} — {self.status} · {done}/{len(agents)} agents · {self.percent}%"
        total = self.total_usage()
        if total["llm_calls"]:
            title += f" · {total['tokens_in'] + total['tokens_out']:,} tokens · ${total['cost_usd']:.4f}"
        table = Table(title=title, title_justify="left")
        # On a narrow terminal the label and the summary give way; state, stance and score stay whole.
        # On a narrow terminal the label and the summary give way (rich shrinks only wrappable columns;
        # their cells do not wrap but end in an ellipsis).
        table.add_column("stage / agent", max_width=32)
        for column in ("state", "stance", "score"):
            table.add_column(column, no_wrap=True)
        table.add_column("by", max_width=24)
        table.add_column("summary", max_width=60)
        for key, row in self.rows.items():
            score, stance = row.get("score"), row.get("stance") or ""
            table.add_row(
                Text(row["label"], style="bold" if key.startswith("stage:") else "", **_ONE_LINE),
                Text(row["state"], style=STATE_STYLE.get(row["state"], "")),
                Text(stance, style=STANCE_STYLE.get(stance, "")),
                f"{score:+.1f}" if isinstance(score, int | float) else "",
                Text(row.get("provider") or "", **_ONE_LINE),
                Text(row.get("summary") or "", **_ONE_LINE),
            )
        return table

    def decision_table(self) -> Table | None:
        d = self.task.decision
        if d is None:
            return None
        table = Table("field", "value", title="Decision", show_header=False, title_justify="left")
        entry = d.entry_range
        for name, value in (
            ("action", f"{d.action} ({d.rating})"), ("position", f"{d.position_pct}%"),
            ("entry range", f"{entry[0]:g} – {entry[1]:g}" if entry else None), ("stop loss", d.stop_loss),
            ("take profit", d.take_profit), ("horizon", f"{d.horizon_days} days"),
            ("confidence", d.confidence), ("dissent", ", ".join(d.dissent) or None),
            ("degraded", "yes" if self.task.degraded else "no"), ("usage", usage_text(self.total_usage())),
            ("rationale", d.rationale),
        ):  # fmt: skip
            table.add_row(name, str(value if value is not None else "–"))
        return table

    def total_usage(self) -> dict[str, Any]:
        """The task's usage: task_completed's when there is one, else the sum over the agents so far."""
        return self.task.usage.model_dump()


def _agent_row(view: AgentView) -> dict[str, Any]:
    if view.state == AgentState.failed:  # a failed result's stance and score mean nothing
        return {"state": "failed", "stance": None, "score": None, "summary": (view.error or "").split("\n")[0],
                "provider": ""}  # fmt: skip
    result = view.result
    provider = (result.provider + (" (fallback)" if result.fallback else "")) if result else ""
    summary = (view.summary or "").split("\n")[0]
    return {"state": view.state.value, "stance": view.stance, "score": view.score, "summary": summary,
            "provider": provider}  # fmt: skip


def _stage_row(agents: list[AgentView], stage: int, task: Task) -> dict[str, Any]:
    done = [a for a in agents if a.state in (AgentState.succeeded, AgentState.failed, AgentState.skipped)]
    failed = sum(a.state == AgentState.failed for a in agents)
    if len(done) == len(agents) and (task.stage or 0) >= stage:
        return {"state": "succeeded", "summary": f"{len(done) - failed} ok, {failed} failed"}
    running = task.stage == stage or any(a.state == AgentState.running for a in agents)
    return {"state": "running" if running else "pending"}


def usage_text(usage: dict[str, Any]) -> str:
    """``3 LLM calls · 4,210 in / 880 out tokens · $0.0012 · 2.4 s LLM time``, or that none were made."""
    if not usage.get("llm_calls"):
        return "no LLM calls (quant only) · $0"
    return (
        f"{usage['llm_calls']} LLM calls · {usage['tokens_in']:,} in / {usage['tokens_out']:,} out tokens · "
        f"${usage['cost_usd']:.4f} · {usage['latency_ms'] / 1000:.1f} s LLM time"
    )


def plain_line(event: Envelope) -> str:
    """One line per event, for logs and pipes."""
    data, parts = event.get("data") or {}, [f"#{event['seq']}", event["type"]]
    if event.get("stage") is not None:
        parts.append(f"stage={event['stage']}")
    if event.get("agent_id"):
        parts.append(f"agent={event['agent_id']}")
    result = data.get("result") or {}
    if result:
        parts.append(f"{result.get('status')} {result.get('stance')} score={result.get('score')}")
    decision = data.get("decision") or {}
    if decision:
        parts.append(f"{decision.get('action')} {decision.get('rating')} position={decision.get('position_pct')}%")
    usage = data.get("usage") or result.get("usage") or {}
    if usage.get("llm_calls"):
        parts.append(
            f"llm_calls={usage['llm_calls']} tokens={usage['tokens_in']}/{usage['tokens_out']} "
            f"cost=${usage['cost_usd']:.6f}"
        )
    for key in ("percent", "level", "message", "error", "reason", "symbol"):
        if key in data and data[key] is not None:
            parts.append(f"{key}={data[key]}")
    return " ".join(str(p) for p in parts)


class Renderer:
    """Shows events as ``--follow`` does: a live table on a terminal (log lines above it, the decision
    as a table at the end), or one plain line per event."""

    def __init__(self, console: Console, *, plain: bool = False) -> None:
        self.view = LiveView()
        self.console = console
        self.plain = plain
        self._live: Live | None = None

    def __enter__(self) -> Renderer:
        if not self.plain:
            self._live = Live(self.view.table(), console=self.console, refresh_per_second=8)
            self._live.start()
        return self

    def __call__(self, event: Envelope) -> None:
        lines = self.view.apply(event)
        if self._live is None:
            print(plain_line(event), file=self.console.file, flush=True)
            return
        for line in lines:
            self._live.console.print(line, markup=False, highlight=False)
        self._live.update(self.view.table())

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            if (decision := self.view.decision_table()) is not None:
                self.console.line()  # off a terminal, Live leaves its last render without a line end
                self.console.print(decision)


def render(events: Iterable[Envelope], console: Console, *, plain: bool = False) -> LiveView:
    """Show a sequence of events (e.g. a recording) as ``--follow`` would; returns the final view."""
    with Renderer(console, plain=plain) as renderer:
        for event in events:
            renderer(event)
    return renderer.view
