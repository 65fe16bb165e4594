"""What happened after an analysis date: forward excess returns and the outcome of a trade plan.

Everything here reads the bars *after* ``as_of`` and is used only to score a decision, never to
make one. Returns use adjusted closes (the market layer's back-adjusted series), so an ex-date is
not a loss; a trade plan's levels are prices at ``as_of``, so the later highs and lows are put on
that day's price basis before they are compared with its stop and target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from investmind.market import Snapshot


@dataclass(frozen=True, slots=True)
class History:
    """One stock's whole bundled history and the CSI 300's, from a snapshot without a cut-off."""

    adjusted: pd.Series
    """Adjusted closes (returns are true across ex-dates)."""
    bars: pd.DataFrame
    """Open, high, low, close as the snapshot quotes them."""
    factor: pd.Series
    """``adjusted / close``: multiply a quoted price by it to put it on the adjusted basis."""
    index: pd.Series | None
    """CSI 300 closes, None when the data has none."""

    @classmethod
    def of(cls, snapshot: Snapshot) -> History:
        adjusted = snapshot.universe[snapshot.symbol]
        bars = snapshot.bars[["open", "high", "low", "close"]]
        factor = (adjusted / bars["close"]).reindex(bars.index)
        index = snapshot.index_bars["close"] if snapshot.index_bars is not None else None
        return cls(adjusted, bars, factor, index)


def _value_at(series: pd.Series, day: pd.Timestamp) -> float:
    """The last value on or before ``day``; NaN when the series stops before it (nothing carried past its end)."""
    if series.empty or series.index[-1] < day or series.index[0] > day:
        return math.nan
    return float(series.iloc[series.index.searchsorted(day, side="right") - 1])


def forward_return(series: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> float:
    """Simple return from ``start`` to ``end`` (a suspended stock keeps its last price); NaN when unknown."""
    first, last = _value_at(series, start), _value_at(series, end)
    return last / first - 1.0 if first > 0 and not math.isnan(last) else math.nan


def forward_excess(history: History, start: pd.Timestamp, end: pd.Timestamp) -> tuple[float, float]:
    """(stock return, stock return minus the CSI 300's) over ``start`` → ``end``; NaN where unknown."""
    stock = forward_return(history.adjusted, start, end)
    if history.index is None:
        return stock, math.nan
    return stock, stock - forward_return(history.index, start, end)


def momentum(adjusted: pd.Series, days: int = 120) -> float:
    """Return over the last ``days`` sessions of a series cut at the analysis date; NaN when it is shorter."""
    if len(adjusted) <= days:
        return math.nan
    return float(adjusted.iloc[-1] / adjusted.iloc[-1 - days] - 1.0)


@dataclass(frozen=True, slots=True)
class TradeOutcome:
    outcome: str
    """``target``, ``stop``, ``horizon`` (neither touched within it) or ``open`` (the data ends first)."""
    exit_return: float
    """Exit price over the entry (the close at ``as_of``) minus 1; NaN for ``open``."""
    days: int
    """Sessions held."""
    same_day: bool = False
    """Stop and target both inside one day's range: counted as the stop (the order within a day is unknown)."""


def trade_outcome(
    history: History,
    as_of: pd.Timestamp,
    levels: tuple[float, float, float],
    horizon_days: int,
    data_end: pd.Timestamp,
) -> TradeOutcome:
    """Walk the sessions after ``as_of`` up to ``horizon_days`` calendar days: the first touch wins.

    ``levels`` are (entry, stop, target) as the decision quotes them; entry is the close the
    analysis saw. They are compared as moves from the entry, with later bars as moves from the
    close at ``as_of`` on the adjusted basis, so a dividend is not a stop and the comparison holds
    whatever price basis the decision was quoted on. A day opening beyond a level exits at the
    open (a gap fills there, not at the level); within a day, a low at or under the stop or a high
    at or over the target exits at that level.
    """
    entry, stop, target = levels
    bars, factor = history.bars, history.factor
    base = float(bars["close"].loc[as_of] * factor.loc[as_of])
    end = as_of + pd.Timedelta(days=horizon_days)
    after = bars[(bars.index > as_of) & (bars.index <= end)]
    scale = (factor.reindex(after.index) / base).to_numpy()
    opens, highs, lows, closes = (after[c].to_numpy() * scale for c in ("open", "high", "low", "close"))
    for day in range(len(after)):
        hit = _touch(opens[day], highs[day], lows[day], stop / entry, target / entry)
        if hit is not None:
            outcome, move, same_day = hit
            return TradeOutcome(outcome, move - 1.0, day + 1, same_day)
    if data_end < end or not len(after):
        return TradeOutcome("open", math.nan, len(after))
    return TradeOutcome("horizon", float(closes[-1]) - 1.0, len(after))


def _touch(open_: float, high: float, low: float, stop: float, target: float) -> tuple[str, float, bool] | None:
    if np.isnan(low) or np.isnan(high):
        return None
    if not np.isnan(open_) and open_ <= stop:
        return "stop", float(open_), False
    if not np.isnan(open_) and open_ >= target:
        return "target", float(open_), False
    stopped, reached = low <= stop, high >= target
    if stopped:
        return "stop", stop, bool(reached)
    if reached:
        return "target", target, False
    return None


def session_after(calendar: pd.DatetimeIndex, day: pd.Timestamp, sessions: int) -> pd.Timestamp | None:
    """The session ``sessions`` after ``day`` in the market calendar, None past its end."""
    position = calendar.searchsorted(day, side="left") + sessions
    return calendar[position] if position < len(calendar) else None
