"""The ``backtest`` subcommand: arguments, a progress bar while it runs, a summary when it ends."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sys
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path("docs/backtest.md")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def add_parser(commands: Any) -> None:
    """Add ``backtest`` to the CLI's subcommands (imports nothing heavy until it runs)."""
    parser = commands.add_parser("backtest", help="walk-forward backtest of the pipeline on the bundled data")
    parser.add_argument("symbols", nargs="*", help="stocks to include (default: every bundled stock)")
    parser.add_argument("--from", dest="start", type=_date, help="first rebalance date (default: the data's first)")
    parser.add_argument("--to", dest="end", type=_date, help="last rebalance date (default: the data's last)")
    parser.add_argument("--every", choices=("month", "week"), default="month", help="rebalance frequency")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="report path (default %(default)s)")
    parser.add_argument("--reps", type=int, default=1000, help="bootstrap resamples (default %(default)s)")
    parser.add_argument("--rows", type=Path, help="also write every observation as CSV")
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="analyses run at once, in processes (default %(default)s)"
    )


def run(args: argparse.Namespace, argv: list[str]) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from investmind.errors import DataUnavailable

    from . import engine, report
    from .measures import Measures

    console = Console(stderr=True)
    if args.start and args.end and args.start > args.end:
        print(f"error bad_request: --from {args.start} is after --to {args.end}", file=sys.stderr)
        return 2
    if args.jobs < 1:
        print(f"error bad_request: --jobs must be at least 1, not {args.jobs}", file=sys.stderr)
        return 2
    try:
        plan = engine.default_plan(args.symbols, args.start, args.end, args.every)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("backtest", total=None)

            def step(done: int, total: int, label: str) -> None:
                bar.update(task, completed=done, total=total, description=label)

            result = engine.run(plan, progress=step, jobs=args.jobs)
    except (DataUnavailable, ValueError) as exc:
        print(f"error bad_request: {exc}", file=sys.stderr)
        return 2
    if not len(result.rows):
        print("error no_data: no stock traded on any rebalance date in the range", file=sys.stderr)
        return 1
    measures = Measures(result, reps=args.reps)
    command = "investmind " + " ".join(shlex.quote(a) for a in argv)
    path = report.write(result, measures, args.out, command)
    if args.rows:
        args.rows.parent.mkdir(parents=True, exist_ok=True)
        result.rows.to_csv(args.rows, index=False)
    _summary(Console(), measures)
    print(f"report: {path}")
    return 0


def _summary(console: Any, measures: Any) -> None:
    from rich.table import Table

    from .engine import HORIZONS
    from .report import interval, rho

    table = Table(title="Spearman of score vs forward excess return [95%]")
    table.add_column("score")
    table.add_column("horizon")
    for period in ("all", "in-sample", "held-out"):
        table.add_column(period)
    found = measures.correlations()
    for strategy in ("pipeline", "momentum"):
        for horizon in HORIZONS:
            cells = []
            for period in ("all", "in-sample", "held-out"):
                c = [x for x in found if (x.strategy, x.horizon, x.period) == (strategy, horizon, period)]
                cells.append(f"{interval(c[0].rho, rho)} n={c[0].rho.n}" if c else "n/a")
            table.add_row(strategy, str(horizon), *cells)
    console.print(table)
