"""The ``investmind`` command: a client of the HTTP API (submit, follow live, inspect, cancel) and ``local``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import SSEError, connect_sse
from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from investmind.models import TERMINAL_STATUS, AgentState, AgentView, Event, EventType, Task
from investmind.projection import fold, initial_agents
from investmind.roster import STAGE_NAMES, STAGES
from investmind.settings import get_settings

STATE_STYLE = {"pending": "dim", "running": "cyan", "succeeded": "green", "failed": "red", "skipped": "yellow"}
STANCE_STYLE = {"bullish": "green", "neutral": "white", "bearish": "red"}
Envelope = dict[str, Any]
_ONE_LINE: dict[str, Any] = {"no_wrap": True, "overflow": "ellipsis"}


class ApiError(Exception):
    """An error answer of the API (or no answer at all: code ``unreachable``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class Api:
    """The HTTP API at ``base_url``, sending ``Authorization: Bearer <api_key>`` when a key is set."""

    def __init__(self, base_url: str, api_key: str = "", transport: httpx.BaseTransport | None = None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # The read timeout outlasts the SSE heartbeat (15 s), so only a dead connection times out.
        timeout = httpx.Timeout(10.0, read=60.0)
        self.client = httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport)

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise ApiError("unreachable", f"{self.client.base_url}: {exc}") from exc
        _raise_for_error(response)
        return response.json() if response.content else None


def _raise_for_error(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        error = response.json()["error"]
        raise ApiError(error["code"], error["message"])
    except (ValueError, KeyError, TypeError):
        raise ApiError(f"http_{response.status_code}", response.reason_phrase or "error") from None


@dataclass
class _Cursor:
    last: int
    retry_s: float = 2.0


def follow(
    api: Api,
    task_id: str,
    on_event: Callable[[Envelope], None],
    *,
    after: int = 0,
    retry_s: float | None = None,
    max_failures: int = 20,
) -> str:
    """Read the task's event stream to its terminal event and return the final status.

    ``on_event`` gets every event after ``after`` exactly once, in seq order: a dropped stream, or one
    the server ends on purpose (the bounded mode on Lambda), is reopened with ``Last-Event-ID`` set to
    the last seq delivered. ``retry_s`` overrides the server's ``retry:`` between failed attempts.
    """
    cursor, failures = _Cursor(after), 0
    while True:
        before, opened, ended_cleanly = cursor.last, time.monotonic(), False
        try:
            final = _read_stream(api, task_id, cursor, on_event)
            if final is not None:
                return final
            ended_cleanly = True
        except (httpx.TransportError, SSEError, _Retryable):
            pass
        # Progress, or a response the server held open for a while (an idle bounded poll), is healthy;
        # anything else waits `retry` and counts, so a broken server cannot make this loop spin.
        if cursor.last > before or (ended_cleanly and time.monotonic() - opened > 1.0):
            failures = 0
            continue
        failures += 1
        if failures > max_failures:
            raise ApiError("unreachable", f"the event stream of {task_id} failed {failures} times in a row")
        time.sleep(retry_s if retry_s is not None else cursor.retry_s)


class _Retryable(Exception):
    """The stream answered 5xx."""


def _read_stream(api: Api, task_id: str, cursor: _Cursor, on_event: Callable[[Envelope], None]) -> str | None:
    """One connection: deliver the new events; the final status if the analysis ended, else None."""
    headers = {"Last-Event-ID": str(cursor.last)}
    with connect_sse(api.client, "GET", f"/v1/analyses/{task_id}/stream", headers=headers) as source:
        response = source.response
        if response.status_code == 204:  # it has ended and nothing follows `cursor.last`
            return str(api.call("GET", f"/v1/analyses/{task_id}")["status"])
        if response.is_error:
            response.read()
            if response.status_code >= 500:
                raise _Retryable(response.status_code)
            _raise_for_error(response)
        for sse in source.iter_sse():
            if sse.retry is not None:
                cursor.retry_s = sse.retry / 1000
            if not sse.id or not sse.data or int(sse.id) <= cursor.last:
                continue  # the retry frame, or a replay
            envelope = sse.json()
            on_event(envelope)
            cursor.last = int(sse.id)
            if EventType(envelope["type"]) in TERMINAL_STATUS:
                return TERMINAL_STATUS[EventType(envelope["type"])].value
    return None


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


# --- commands ------------------------------------------------------------------------------------


def _analyze(api: Api, args: argparse.Namespace, console: Console) -> int:
    body: dict[str, Any] = {"symbol": args.symbol, "priority": args.priority}
    if args.as_of:
        body["as_of"] = args.as_of
    if args.agents:
        body["agents"] = [name.strip() for name in args.agents.split(",") if name.strip()]
    headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else {}
    accepted = api.call("POST", "/v1/analyses", json=body, headers=headers)
    print(f"{accepted['task_id']} {accepted['status']}", flush=True)
    if not args.follow:
        return 0
    with Renderer(console, plain=args.plain) as renderer:
        final = follow(api, accepted["task_id"], renderer)
    return 0 if final == "SUCCEEDED" else 1


def _status(api: Api, args: argparse.Namespace, console: Console) -> int:
    if args.json:
        print(json.dumps(api.call("GET", f"/v1/analyses/{args.task_id}"), indent=2, ensure_ascii=False))
        return 0
    view = LiveView()  # the same table as --follow, replayed from the log
    for event in _all_events(api, args.task_id):
        view.apply(event)
    console.print(view.table())
    if (decision := view.decision_table()) is not None:
        console.print(decision)
    else:  # no decision (failed, cancelled, running): what the agents spent so far
        console.print(f"usage: {usage_text(view.total_usage())}", markup=False, highlight=False)
    return 0


def _all_events(api: Api, task_id: str, after: int = 0, types: list[str] | None = None) -> Iterable[Envelope]:
    cursor: int | None = after
    while cursor is not None:
        params: dict[str, Any] = {"after": cursor, "limit": 1000, **({"type": types} if types else {})}
        page = api.call("GET", f"/v1/analyses/{task_id}/events", params=params)
        yield from page["events"]
        cursor = page["next_after"]


def _events(api: Api, args: argparse.Namespace, console: Console) -> int:
    for event in _all_events(api, args.task_id, args.after, args.type):
        print(json.dumps(event, ensure_ascii=False) if args.json else plain_line(event))
    return 0


def _cancel(api: Api, args: argparse.Namespace, console: Console) -> int:
    answer = api.call("POST", f"/v1/analyses/{args.task_id}/cancel")
    print(f"{answer['task_id']} {answer['status']}")
    return 0


def _list(api: Api, args: argparse.Namespace, console: Console) -> int:
    params: dict[str, Any] = {"limit": args.limit}
    if args.status:
        params["status"] = args.status
    page = api.call("GET", "/v1/analyses", params=params)
    for task in page["items"]:
        percent = (task.get("progress") or {}).get("percent", 0)
        print(f"{task['task_id']} {task['status']:<9} {task['symbol']:<10} {percent:>3}% {task['created_at']}")
    return 0


def _keys_create(api: Api, args: argparse.Namespace, console: Console) -> int:
    body = {
        "name": args.name,
        "role": "admin" if args.admin else "user",
        **({"owner": args.owner} if args.owner else {}),
    }
    created = api.call("POST", "/v1/keys", json=body)
    print(f"created {created['key_id']} for {created['owner']} ({created['role']}): shown once, keep it now")
    print(created["key"])  # alone on the last line (docs/architecture.md §9)
    return 0


def _keys_list(api: Api, args: argparse.Namespace, console: Console) -> int:
    params = {"owner": args.owner} if args.owner else {}
    for key in api.call("GET", "/v1/keys", params=params)["items"]:
        state = f"revoked {key['revoked_at']}" if key["revoked_at"] else f"last used {key['last_used_at'] or 'never'}"
        print(f"{key['key_id']} {key['owner']:<16} {key['role']:<5} {key['name']:<20} {key['created_at']} {state}")
    return 0


def _keys_revoke(api: Api, args: argparse.Namespace, console: Console) -> int:
    revoked = api.call("DELETE", f"/v1/keys/{args.key_id}")
    print(f"{revoked['key_id']} revoked {revoked['revoked_at']}")
    return 0


def _keys_parser(commands: Any) -> None:
    keys = commands.add_parser("keys", help="API keys: create, list, revoke (yours; an admin's: anyone's)")
    actions = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="a new key, printed once on the last line")
    create.add_argument("--owner", help="whose key (default: yours; another owner's needs an admin key)")
    create.add_argument("--name", default="cli", help="what the key is for (default %(default)s)")
    create.add_argument("--admin", action="store_true", help="an admin key (needs an admin key)")
    create.set_defaults(handler=_keys_create)
    listing = actions.add_parser("list", help="your keys (an admin: every owner's, or --owner's)")
    listing.add_argument("--owner")
    listing.set_defaults(handler=_keys_list)
    revoke = actions.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("key_id")
    revoke.set_defaults(handler=_keys_revoke)


def _local(port: int) -> int:
    try:
        from infra.runtime import serve
    except ImportError as exc:
        print(f"error unavailable: the embedded runtime is not installed ({exc})", file=sys.stderr)
        return 1
    serve(port)
    return 0


def _parser(default_url: str, default_port: int) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="investmind", description="Multi-agent stock analysis, from the shell.")
    parser.add_argument("--url", default=default_url, help="API base URL (INVESTMIND_URL; default %(default)s)")
    parser.add_argument("--plain", action="store_true", help="one line per event, even on a terminal")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    analyze = commands.add_parser("analyze", help="submit an analysis")
    analyze.add_argument("symbol", help="600519, 600519.SH, sh.600519, …")
    analyze.add_argument("--as-of", help="analyse as of this date (YYYY-MM-DD)")
    analyze.add_argument("--priority", choices=("high", "normal", "low"), default="normal")
    analyze.add_argument("--agents", help="a comma-separated subset of the stage-1 analysts")
    analyze.add_argument("--idempotency-key", help="retry-safe key: the same key gives the same analysis")
    analyze.add_argument("--follow", action="store_true", help="show live progress until the analysis ends")
    analyze.set_defaults(handler=_analyze)

    status = commands.add_parser("status", help="show an analysis")
    status.add_argument("task_id")
    status.add_argument("--json", action="store_true", help="the task as the API returns it")
    status.set_defaults(handler=_status)

    events = commands.add_parser("events", help="print an analysis's events")
    events.add_argument("task_id")
    events.add_argument("--after", type=int, default=0, help="only events after this seq")
    events.add_argument("--type", action="append", help="only events of this type (repeatable)")
    events.add_argument("--json", action="store_true", help="one JSON envelope per line")
    events.set_defaults(handler=_events)

    cancel = commands.add_parser("cancel", help="cancel an analysis")
    cancel.add_argument("task_id")
    cancel.set_defaults(handler=_cancel)

    listing = commands.add_parser("list", help="list your analyses, newest first")
    listing.add_argument("--status", choices=("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"))
    listing.add_argument("--limit", type=int, default=20)
    listing.set_defaults(handler=_list)

    _keys_parser(commands)

    local = commands.add_parser("local", help="run the whole system on this machine (embedded runtime)")
    local.add_argument("--port", type=int, default=default_port, help="INVESTMIND_PORT; default %(default)s")
    return parser


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    args = _parser(settings.url, settings.port).parse_args(argv)
    if args.command == "local":
        return _local(args.port)
    args.plain = args.plain or not sys.stdout.isatty()
    api = Api(args.url, settings.api_key)
    try:
        return int(args.handler(api, args, Console()))
    except ApiError as exc:
        print(f"error {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        api.client.close()
