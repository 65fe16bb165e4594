"""Financial reports in time: which period a report covers and from when it may be known."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

# Period → (years after the period end, month, day) of the statutory deadline by which the report
# is public (CSRC rules: Q1 by 30 April, half year by 31 August, Q3 by 31 October, annual by 30 April).
_DEADLINES = {"season1": (0, 4, 30), "half_year": (0, 8, 31), "season3": (0, 10, 31), "year": (1, 4, 30)}
_PERIOD_BY_MONTH = {3: "season1", 6: "half_year", 9: "season3", 12: "year"}


def period_of(end: pd.Timestamp) -> str:
    """``season1``/``half_year``/``season3``/``year`` for a period ending in March/June/September/December."""
    return _PERIOD_BY_MONTH.get(end.month, "other")


def published_by(periods: Iterable[str], ends: Iterable[pd.Timestamp]) -> pd.DatetimeIndex:
    """The statutory deadline of each report: a source without announcement dates may not show a
    report to an analysis before it, since the report may not have been published yet."""
    dates = []
    for period, end in zip(periods, ends, strict=True):
        rule = _DEADLINES.get(period)
        if rule is None:  # an unknown kind of period gets four months, the longest regular lag
            dates.append(end + pd.DateOffset(months=4))
        else:
            years, month, day = rule
            dates.append(pd.Timestamp(end.year + years, month, day))
    return pd.DatetimeIndex(dates)
