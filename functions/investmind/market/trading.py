"""Trading days: resolving an analysis date against the days a stock actually traded."""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence

from ..errors import DataUnavailable

CHINA = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
"""The exchanges' clock: "today" for a market-data request is today in Shanghai."""
MAX_GAP_DAYS = 10
"""An as_of this many calendar days past a stock's last bar still resolves to that bar; later is an error.

Ten days spans the longest exchange holiday (Spring Festival, National Day week) plus a weekend, and
a short suspension, but not a stock whose data has stopped.
"""


def resolve_trading_day(
    days: Sequence[dt.date], as_of: dt.date | None, *, label: str, max_gap_days: int = MAX_GAP_DAYS
) -> dt.date:
    """The last of ``days`` (sorted, ascending) on or before ``as_of``; the last of all when None.

    Parameters
    ----------
    days
        The dates on which the stock has a bar.
    as_of
        The date asked for; a weekend or holiday resolves to the trading day before it.
    label
        What the days are, for the error message: ``"bundled data for 600519.SH"``.

    Raises ``DataUnavailable`` when ``days`` is empty, ``as_of`` falls before the first day, or
    more than ``max_gap_days`` after the last (the data stops short of the date asked for).
    """
    if not days:
        raise DataUnavailable(f"no {label}", {"as_of": as_of and as_of.isoformat()})
    first, last = days[0], days[-1]
    if as_of is None:
        return last
    details = {"as_of": as_of.isoformat(), "first": first.isoformat(), "last": last.isoformat()}
    if as_of < first:
        raise DataUnavailable(f"no {label} before {first.isoformat()}", details)
    if (as_of - last).days > max_gap_days:
        raise DataUnavailable(f"no {label} after {last.isoformat()}", details)
    return days[bisect.bisect_right(days, as_of) - 1]


def market_day(days: Sequence[dt.date], day: dt.date) -> dt.date | None:
    """The last of ``days`` on or before ``day`` (None when there is none): the market's latest session."""
    index = bisect.bisect_right(days, day)
    return days[index - 1] if index else None
