"""The shapes the parts take: conforming a provider's output to them, cutting them at a date, emptiness."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from .base import (
    BAR_COLUMNS,
    FUNDAMENTAL_COLUMNS,
    MACRO_PART_COLUMNS,
    PRICE_COLUMNS,
    VALUATION_COLUMNS,
    PartUnavailable,
    Profile,
)
from .trading import MAX_GAP_DAYS

_COLUMNS = {
    "bars": BAR_COLUMNS,
    "valuation": VALUATION_COLUMNS,
    "fundamentals": FUNDAMENTAL_COLUMNS,
    "index_bars": PRICE_COLUMNS,
    "macro": MACRO_PART_COLUMNS,
}
_TEXT_OR_DATE = {"report_period", "published_by"}
SERIES_PARTS = frozenset({"peers", "universe"})


def dated(frame: pd.DataFrame, column: str, date_format: str | None = None, name: str = "date") -> pd.DataFrame:
    """``frame`` indexed by its ``column`` parsed as dates: sorted, one row per date (the last wins)."""
    index = pd.DatetimeIndex(pd.to_datetime(frame[column], format=date_format), name=name).normalize()
    out = frame.drop(columns=column).set_axis(index, axis=0)
    return out[~out.index.duplicated(keep="last")].sort_index()


def numeric(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """The ``columns`` of ``frame`` as floats; an unparsable cell (``"--"``, ``""``) becomes NaN, never 0."""
    out = frame.copy()
    for column in columns:
        if column in out:
            out[column] = pd.to_numeric(out[column], errors="coerce").astype("float64")
    return out


def conform(part: str, value: Any) -> Any:
    """``value`` in the shape of ``part``; raises ``PartUnavailable`` when it holds nothing usable."""
    if part == "profile":
        if not isinstance(value, Profile) or not value.name:
            raise PartUnavailable("no name for the stock")
        return value
    if part in SERIES_PARTS:
        series = {str(s): c.astype("float64").dropna().sort_index() for s, c in dict(value or {}).items()}
        series = {s: c for s, c in series.items() if len(c)}
        if not series:
            raise PartUnavailable(f"no {part}")
        return series
    if value is None or not len(value):
        raise PartUnavailable(f"no {part.replace('_', ' ')}")
    columns = _COLUMNS[part]
    frame = value.reindex(columns=columns)
    floats = [c for c in columns if c not in _TEXT_OR_DATE]
    frame[floats] = frame[floats].astype("float64")
    if frame.index.name is None:
        frame = frame.rename_axis("date")
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    key = "close" if "close" in columns else None
    usable = frame[key].notna().any() if key else frame[floats].notna().to_numpy().any()
    if not usable:
        raise PartUnavailable(f"no {part.replace('_', ' ')} values")
    return frame


def upto(frame: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    return frame.iloc[: frame.index.searchsorted(cut, side="right")]


def cut_part(part: str, value: Any, cut: pd.Timestamp) -> Any:
    """``value`` with nothing dated after ``cut``: None (or ``{}``) when nothing is left.

    Reports count from the date they were public, not their period end; peer and universe series
    keep only the stocks still trading at ``cut`` (a bar within ``MAX_GAP_DAYS``).
    """
    if value is None or part == "profile":
        return value
    if part in SERIES_PARTS:
        return closes_upto(value, cut)
    if part == "fundamentals":
        value = value[value["published_by"] <= cut]
    frame = upto(value, cut)
    return frame if len(frame) else None


def closes_upto(closes: Mapping[str, pd.Series], cut: pd.Timestamp) -> dict[str, pd.Series]:
    out = {}
    for symbol, close in closes.items():
        kept = close.iloc[: close.index.searchsorted(cut, side="right")]
        if len(kept) and (cut - kept.index[-1]).days <= MAX_GAP_DAYS:
            out[symbol] = kept
    return out


def bounds(part: str, value: Any) -> tuple[pd.Timestamp | None, pd.Timestamp | None, int]:
    """(first date, last date, rows) of a part: for peer maps, the span of all series and their count."""
    if value is None or part == "profile":
        return None, None, 0
    if part in SERIES_PARTS:
        if not value:
            return None, None, 0
        return min(s.index[0] for s in value.values()), max(s.index[-1] for s in value.values()), len(value)
    if part == "valuation":
        value = value.dropna(how="all")  # a day the source left blank does not count as data
        if not len(value):
            return None, None, 0
    return value.index[0], value.index[-1], len(value)
