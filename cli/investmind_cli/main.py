"""The ``investmind`` command: a client of the HTTP API (submit, follow, inspect, cancel), ``local``, ``backtest``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from typing import Any

from rich.console import Console

from investmind.settings import get_settings
from investmind_cli.backtest import command as backtest

from .client import Api, ApiError, Envelope, follow
from .view import LiveView, Renderer, plain_line, render, usage_text

__all__ = ["Api", "ApiError", "LiveView", "Renderer", "follow", "main", "plain_line", "render", "usage_text"]


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
    if args.symbol:
        params["symbol"] = args.symbol
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


def _reconcile(api: Api, args: argparse.Namespace, console: Console) -> int:
    """Passes until every open task was examined (a pass stops in time for API Gateway and says where)."""
    errors, cursor = False, None
    while True:
        report = api.call("POST", "/v1/admin/reconcile", params={"cursor": cursor} if cursor else None)
        errors = errors or bool(report["errors"])
        if args.json:
            print(json.dumps(report, ensure_ascii=False))
        else:
            _print_pass(report)
        cursor = report.get("next_cursor")
        if not cursor:
            return 1 if errors else 0


def _print_pass(report: dict) -> None:
    print(f"examined {report['examined']} open, rebuilt {len(report['rebuilt'])}, settled {len(report['settled'])}")
    for task_id in report["rebuilt"]:
        print(f"{task_id} rebuilt from its log")
    for settled in report["settled"]:
        print(f"{settled['task_id']} FAILED {settled['error_type']}: {settled['reason']}")
    for task_id, error in report["errors"].items():
        print(f"{task_id} not reconciled: {error}")
    if report.get("next_cursor"):
        print("more open tasks: going on")


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
    listing.add_argument("--symbol", help="only this symbol's analyses, e.g. 600519")
    listing.add_argument("--limit", type=int, default=20)
    listing.set_defaults(handler=_list)

    _keys_parser(commands)

    reconcile = commands.add_parser(
        "reconcile", help="an admin: heal projections and settle stuck analyses now (as the schedule does)"
    )
    reconcile.add_argument("--json", action="store_true", help="the report as the API returns it")
    reconcile.set_defaults(handler=_reconcile)

    local = commands.add_parser("local", help="run the whole system on this machine (embedded runtime)")
    local.add_argument("--port", type=int, default=default_port, help="INVESTMIND_PORT; default %(default)s")

    backtest.add_parser(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    settings = get_settings()
    args = _parser(settings.url, settings.port).parse_args(argv)
    if args.command == "local":
        return _local(args.port)
    if args.command == "backtest":  # in-process, on the bundled data: no API involved
        return backtest.run(args, sys.argv[1:] if argv is None else argv)
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
