"""The walk-forward backtest: the real pipeline at every rebalance date, scored by what came after.

At each rebalance date (the last session of a month or week) every stock that traded that day is
analysed on data cut at that date (``market.load_snapshot(symbol, date)``), exactly as the service
would analyse it; only then are the bars after the date read, to score the decision.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import multiprocessing
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from investmind.errors import DataUnavailable
from investmind.market import catalog, load_snapshot
from investmind.market.symbols import normalize_symbol
from investmind.models import AgentStatus

from .forward import History, forward_excess, momentum, session_after, trade_outcome
from .pipeline import Analysis, Loader, analyse

HORIZONS: tuple[int, ...] = (20, 60)
"""Forward windows, in trading sessions."""
MOMENTUM_DAYS = 120
HELD_OUT = (dt.date(2023, 4, 1), dt.date(2025, 4, 30))
"""Held out from choosing weights and thresholds: report it apart, never tune on it."""
Every = Literal["month", "week"]
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True, slots=True)
class Plan:
    """What to run: stocks, date range, rebalance frequency."""

    symbols: tuple[str, ...]
    start: dt.date | None = None
    end: dt.date | None = None
    every: Every = "month"


@dataclass
class Run:
    """The observations (one row per stock and rebalance date) and what could not be observed."""

    plan: Plan
    rows: pd.DataFrame
    dates: list[pd.Timestamp]
    skipped: Counter[str] = field(default_factory=Counter)
    agent_failures: Counter[str] = field(default_factory=Counter)
    step_sessions: float = 0.0
    """Median sessions between consecutive rebalance dates (for the bootstrap's block length)."""


def period_of(day: pd.Timestamp) -> str:
    """``in-sample`` before the held-out period, ``held-out`` inside it, ``after`` past it."""
    date = day.date()
    if date < HELD_OUT[0]:
        return "in-sample"
    return "held-out" if date <= HELD_OUT[1] else "after"


def all_symbols() -> tuple[str, ...]:
    """Every stock of the bundled data."""
    return tuple(sorted(catalog()))


def market_calendar(histories: Iterable[History]) -> pd.DatetimeIndex:
    """Every session on which a stock of the run or the CSI 300 traded."""
    stamps = [h.bars.index for h in histories] + [h.index.index for h in histories if h.index is not None]
    return pd.DatetimeIndex(sorted(set().union(*stamps)), name="date")


def rebalance_dates(
    calendar: pd.DatetimeIndex, every: Every, start: dt.date | None = None, end: dt.date | None = None
) -> list[pd.Timestamp]:
    """The last session of each month (or ISO week) in ``start..end`` whose period the calendar has closed.

    A period counts only when the calendar goes on past it, so the data's last, unfinished month is
    never taken for a month-end.
    """
    if not len(calendar):
        return []
    days = pd.Series(calendar, index=calendar)
    if every == "month":
        keys = [calendar.year, calendar.month]
    elif every == "week":
        iso = calendar.isocalendar()
        keys = [iso.year.to_numpy(), iso.week.to_numpy()]
    else:
        raise ValueError(f"--every must be month or week, not {every!r}")
    last = days.groupby(keys).max().sort_values()
    closed = [d for d in last if d < calendar[-1]]
    return [d for d in closed if (start is None or d.date() >= start) and (end is None or d.date() <= end)]


def _row(analysis: Analysis, history: History, day: pd.Timestamp, calendar: pd.DatetimeIndex, nxt: Any) -> dict:
    decision = analysis.decision
    gm = analysis.results.get("investment_gm")
    # A decision may say it is no trade decision (too few agents succeeded): it counts as none.
    tradeable = decision is not None and getattr(decision, "tradeable", True)
    row: dict[str, Any] = {
        "symbol": analysis.symbol,
        "date": day,
        "period": period_of(day),
        "action": decision.action if tradeable else None,
        "tradeable": tradeable,
        "score": gm.score if gm is not None and gm.status == AgentStatus.succeeded else math.nan,
        "confidence": decision.confidence if decision else math.nan,
        "position_pct": decision.position_pct if decision else math.nan,
        "degraded": decision.degraded if decision else True,
        "failed_agents": sum(r.status == AgentStatus.failed for r in analysis.results.values()),
        "momentum": momentum(analysis.snapshot.universe[analysis.symbol], MOMENTUM_DAYS),
        "error": analysis.error,
    }
    for horizon in HORIZONS:
        end = session_after(calendar, day, horizon)
        stock, excess = forward_excess(history, day, end) if end is not None else (math.nan, math.nan)
        row[f"ret_{horizon}"], row[f"excess_{horizon}"] = stock, excess
        row[f"end_{horizon}"] = end if end is not None else pd.NaT
    row["excess_next"] = forward_excess(history, day, nxt)[1] if nxt is not None else math.nan
    row.update(_plan_outcome(analysis, history, day))
    return row


def _plan_outcome(analysis: Analysis, history: History, day: pd.Timestamp) -> dict[str, Any]:
    decision = analysis.decision
    empty = {"plan_end": pd.NaT, "plan_outcome": None, "plan_return": math.nan, "plan_days": math.nan}
    empty["plan_same_day"] = False
    levels = _levels(analysis) if decision is not None and decision.action == "BUY" else None
    if levels is None:
        return empty
    outcome = trade_outcome(history, day, levels, decision.horizon_days, history.bars.index[-1])
    return {
        "plan_end": day + pd.Timedelta(days=decision.horizon_days),
        "plan_outcome": outcome.outcome,
        "plan_return": outcome.exit_return,
        "plan_days": outcome.days,
        "plan_same_day": outcome.same_day,
    }


def _levels(analysis: Analysis) -> tuple[float, float, float] | None:
    """(entry, stop, target) of a BUY: traded prices with the close it saw, or moves from the close.

    Where only adjusted prices exist a decision may give its levels only as fractions of the close
    (``stop_loss_pct``: -0.05 is 5% below), read where the model has them.
    """
    decision = analysis.decision
    if decision.stop_loss is not None and decision.take_profit is not None:
        return analysis.snapshot.close, decision.stop_loss, decision.take_profit
    stop, target = getattr(decision, "stop_loss_pct", None), getattr(decision, "take_profit_pct", None)
    if stop is not None and target is not None:
        return 1.0, 1.0 + stop, 1.0 + target
    return None


def run(plan: Plan, *, load: Loader = load_snapshot, progress: Progress | None = None, jobs: int = 1) -> Run:
    """Every (stock, rebalance date) of ``plan`` analysed and scored; see ``Run``.

    ``jobs`` > 1 spreads the analyses over that many processes (each is independent: its data is cut
    at its own date); the rows come back in the same order either way, so the report does not depend
    on it. ``load`` must then be picklable (a module-level function such as ``load_snapshot``).
    """
    symbols = tuple(normalize_symbol(s) for s in plan.symbols)
    histories = {s: History.of(load(s, None)) for s in symbols}
    calendar = market_calendar(histories.values())
    last_bar = max(h.bars.index[-1] for h in histories.values())
    dates = [d for d in rebalance_dates(calendar, plan.every, plan.start, plan.end) if d <= last_bar]
    steps = pd.Series(calendar.searchsorted(dates)).diff().dropna()
    result = Run(plan, pd.DataFrame(), dates, step_sessions=float(steps.median()) if len(steps) else 0.0)
    work: list[tuple[str, pd.Timestamp, Any]] = []
    for position, day in enumerate(dates):
        nxt = dates[position + 1] if position + 1 < len(dates) else None
        for symbol in symbols:
            if day in histories[symbol].bars.index:
                work.append((symbol, day, nxt))
            else:
                result.skipped["no bar on the date (not listed yet, suspended or data ended)"] += 1
    observer = _Observer(load, histories, calendar)
    rows = []
    with _pool(jobs, observer) as pool:
        outcomes = pool.map(_observe, work, chunksize=4) if pool else map(observer, work)
        for done, ((symbol, day, _), (row, failed, skipped)) in enumerate(zip(work, outcomes, strict=True), 1):
            if progress:
                progress(done, len(work), f"{symbol} {day.date().isoformat()}")
            if skipped:
                result.skipped[skipped] += 1
                continue
            result.agent_failures.update(failed)
            rows.append(row)
    result.rows = with_relative_returns(pd.DataFrame(rows))
    return result


@dataclass(frozen=True, slots=True)
class _Observer:
    """One observation: the analysis of a stock at a date and what followed it."""

    load: Loader
    histories: dict[str, History]
    calendar: pd.DatetimeIndex

    def __call__(self, item: tuple[str, pd.Timestamp, Any]) -> tuple[dict | None, list[str], str | None]:
        symbol, day, nxt = item
        try:
            analysis = analyse(symbol, day.date(), self.load)
        except DataUnavailable as exc:
            return None, [], f"data unavailable: {exc}"
        failed = [a for a, r in analysis.results.items() if r.status == AgentStatus.failed]
        return _row(analysis, self.histories[symbol], day, self.calendar, nxt), failed, None


_worker_observer: _Observer | None = None


def _start_worker(observer: _Observer) -> None:
    global _worker_observer  # noqa: PLW0603 - one observer per worker process, sent once, not per item
    _worker_observer = observer


def _observe(item: tuple[str, pd.Timestamp, Any]) -> tuple[dict | None, list[str], str | None]:
    return _worker_observer(item)


@contextlib.contextmanager
def _pool(jobs: int, observer: _Observer):
    if jobs <= 1:
        yield None
        return
    # Spawned, not forked: a forked child inherits the market reader's thread pool without its threads.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start_worker, initargs=(observer,)) as pool:
        yield pool


def with_relative_returns(rows: pd.DataFrame, least: int = 3) -> pd.DataFrame:
    """Add ``rel_<h>``: each stock's forward return minus the mean of the run's stocks on the same date.

    A benchmark where the CSI 300 has no data (before 2020 in the bundle) and one free of what the
    run's stocks share (they are today's index members: survivors); NaN on a date with fewer than
    ``least`` known returns.
    """
    if not len(rows):
        return rows
    for horizon in HORIZONS:
        by_date = rows.groupby("date")[f"ret_{horizon}"]
        mean, known = by_date.transform("mean"), by_date.transform("count")
        rows[f"rel_{horizon}"] = (rows[f"ret_{horizon}"] - mean).where(known >= least)
    return rows


def default_plan(symbols: Sequence[str] = (), start=None, end=None, every: Every = "month") -> Plan:
    return Plan(tuple(symbols) or all_symbols(), start, end, every)
