"""The bundled offline provider: real A-share data shipped in ``data/*.csv`` (see ``data/PROVENANCE.md``)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataUnavailable
from .adjust import adjusted_close
from .catalog import catalog
from .snapshot import Snapshot
from .symbols import normalize_symbol

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
SOURCE = "bundled"
MAX_GAP_DAYS = 10
"""An as_of this many calendar days past a stock's last bar still resolves to that bar; later is an error."""
FUNDAMENTALS_STALE_DAYS = 240
"""A statutory deadline falls at least every ~7 months (Q3 on 31 Oct → annual and Q1 on 30 Apr)."""

_PRICE = ["open", "high", "low", "close", "volume", "amount"]
_VALUATION = {"peTTM": "pe_ttm", "pbMRQ": "pb_mrq", "psTTM": "ps_ttm", "pcfNcfTTM": "pcf_ttm"}
_RECENT_EXTRA = {"preclose": "preclose", "turn": "turn", "pctChg": "pct_chg"}
_BAR_COLUMNS = [*_PRICE, "preclose", "turn", "pct_chg"]
# Period → (years after the period end, month, day) of the deadline by which the report is public.
_DEADLINES = {"season1": (0, 4, 30), "half_year": (0, 8, 31), "season3": (0, 10, 31), "year": (1, 4, 30)}


@dataclass(frozen=True, slots=True)
class _Store:
    bars: dict[str, pd.DataFrame]
    names: dict[str, pd.Series]
    valuation: dict[str, pd.DataFrame]
    fundamentals: dict[str, pd.DataFrame]
    index: pd.DataFrame
    calendar: pd.DatetimeIndex
    """Every date on which any bundled series has a bar: the trading calendar as far as we know it."""


def _read(name: str, **kwargs: Any) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name, date_format="%Y-%m-%d", **kwargs)


def _by_symbol(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {
        normalize_symbol(code): part.drop(columns="code").set_index("date").sort_index()
        for code, part in frame.groupby("code", sort=False)
    }


def _read_recent() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    columns = ["date", "code", *_PRICE, *_RECENT_EXTRA, *_VALUATION]
    frame = _read(
        "cn_daily_2020_2025.csv",
        usecols=columns,
        dtype={"code": str, **{c: "float64" for c in columns[2:]}},
        parse_dates=["date"],
    ).rename(columns={**_RECENT_EXTRA, **_VALUATION})
    frames = _by_symbol(frame)
    bars = {s: f[_BAR_COLUMNS] for s, f in frames.items()}
    valuation = {s: f[list(_VALUATION.values())] for s, f in frames.items()}
    return bars, valuation


def _read_older() -> tuple[dict[str, pd.DataFrame], dict[str, pd.Series]]:
    frame = _read(
        "cn_daily_2015_2020.csv",
        dtype={"code": str, "name": str, **{c: "float64" for c in _PRICE}},
        parse_dates=["date"],
    )
    frames = _by_symbol(frame)
    bars = {s: f[_PRICE].reindex(columns=_BAR_COLUMNS) for s, f in frames.items()}
    names = {s: f["name"] for s, f in frames.items()}
    return bars, names


def _read_index() -> pd.DataFrame:
    # The file's columns run date,open,close,high,low,...: select by name, never by position.
    frame = _read("csi300_daily_2020_2025.csv", dtype={c: "float64" for c in _PRICE}, parse_dates=["date"])
    return frame.set_index("date").sort_index()[_PRICE]


def _published_by(periods: pd.Series, ends: pd.Series) -> pd.DatetimeIndex:
    dates = []
    for period, end in zip(periods, ends, strict=True):
        rule = _DEADLINES.get(period)
        if rule is None:  # an unknown kind of period gets four months, the longest regular lag
            dates.append(end + pd.DateOffset(months=4))
        else:
            years, month, day = rule
            dates.append(pd.Timestamp(end.year + years, month, day))
    return pd.DatetimeIndex(dates)


def _read_fundamentals() -> dict[str, pd.DataFrame]:
    frame = _read(
        "cn_fundamentals_quarterly_2005_2020.csv", dtype={"code": str, "name": str}, parse_dates=["report_date"]
    )
    frame["published_by"] = _published_by(frame["report_period"], frame["report_date"])
    frame = frame.drop(columns="name").rename(columns={"report_date": "date"})
    return {s: f.rename_axis("report_date") for s, f in _by_symbol(frame).items()}


def _merge(recent: dict[str, pd.DataFrame], older: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The richer recent rows from their first date on; older rows only before it (longer history)."""
    merged = dict(older)
    for symbol, frame in recent.items():
        if symbol in older:
            head = older[symbol]
            frame = pd.concat([head[head.index < frame.index[0]], frame])
        merged[symbol] = frame
    return merged


_LOAD_LOCK = threading.Lock()


def _store() -> _Store:
    # The embedded runtime runs a stage's agents on threads: load once, not once per thread.
    with _LOAD_LOCK:
        return _load()


@functools.cache
def _load() -> _Store:
    started = time.perf_counter()
    recent, valuation = _read_recent()
    older, names = _read_older()
    bars = _merge(recent, older)
    index = _read_index()
    calendar = index.index.append([f.index for f in bars.values()]).unique().sort_values()
    store = _Store(bars, names, valuation, _read_fundamentals(), index, calendar)
    logger.info("bundled market data loaded", extra={"ms": round((time.perf_counter() - started) * 1000, 1)})
    return store


def _upto(frame: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame:
    return frame.iloc[: frame.index.searchsorted(cut, side="right")]


def _resolve(symbol: str, dates: pd.DatetimeIndex, as_of: dt.date | None) -> dt.date:
    first, last = dates[0].date(), dates[-1].date()
    if as_of is None:
        return last
    details = {"symbol": symbol, "as_of": as_of.isoformat(), "first": first.isoformat(), "last": last.isoformat()}
    if as_of < first:
        raise DataUnavailable(f"no bundled data for {symbol} before {first.isoformat()}", details)
    if (as_of - last).days > MAX_GAP_DAYS:
        raise DataUnavailable(f"no bundled data for {symbol} after {last.isoformat()}", details)
    return dates[dates.searchsorted(pd.Timestamp(as_of), side="right") - 1].date()


def _canonical(symbol: str) -> str:
    try:
        return normalize_symbol(symbol)
    except ValueError as exc:
        raise DataUnavailable(str(exc), {"symbol": symbol}) from exc


def load_snapshot(symbol: str, as_of: dt.date | None = None) -> Snapshot:
    """The snapshot of ``symbol`` at its last trading day on or before ``as_of`` (default: its last).

    Raises ``DataUnavailable`` for a symbol the dataset lacks, or an ``as_of`` before the stock's
    first bar or more than ``MAX_GAP_DAYS`` after its last.
    """
    store = _store()
    symbol = _canonical(symbol)
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    history = store.bars.get(symbol)
    if history is None:
        raise DataUnavailable(f"no bundled data for {symbol}", {"symbol": symbol})
    resolved = _resolve(symbol, history.index, as_of)
    cut = pd.Timestamp(resolved)
    info = catalog().get(symbol)
    industry = info.industry if info else None
    same_industry = {s: f for s, f in store.bars.items() if s != symbol and _industry(s) == industry}
    data: dict[str, Any] = {
        "bars": _upto(history, cut),
        "valuation": _nonempty(_upto(store.valuation[symbol], cut)) if symbol in store.valuation else None,
        "fundamentals": _known_reports(store.fundamentals.get(symbol), cut),
        "index_bars": _index_upto(store.index, cut),
        "peers": _closes(same_industry, cut) if industry else {},
        "universe": _closes(store.bars, cut),
    }
    return Snapshot(
        symbol=symbol,
        name=_name_at(store.names.get(symbol), cut) or (info.name if info else symbol),
        industry=industry,
        as_of=resolved,
        parts=_describe(data, store.calendar, cut, pd.Timestamp(as_of or resolved)),
        **data,
    )


def _describe(
    data: dict[str, Any], calendar: pd.DatetimeIndex, cut: pd.Timestamp, requested: pd.Timestamp
) -> dict[str, dict[str, Any]]:
    # A part is stale when the market traded after its last row: the stock's bars against the
    # requested date (the data stopped short of it), every other part against the resolved one.
    market_day = _market_day(calendar, cut)
    valuation = data["valuation"]
    return {
        "bars": _daily_part(data["bars"], _market_day(calendar, requested)),
        "valuation": _daily_part(valuation.dropna(how="all") if valuation is not None else None, market_day),
        "fundamentals": _reports_part(data["fundamentals"], cut),
        "index_bars": _daily_part(data["index_bars"], market_day),
        "peers": _series_part(data["peers"], cut),
        "universe": _series_part(data["universe"], cut),
    }


def _index_upto(index: pd.DataFrame, cut: pd.Timestamp) -> pd.DataFrame | None:
    inside = index.index[0] <= cut and (cut - index.index[-1]).days <= MAX_GAP_DAYS
    return _upto(index, cut) if inside else None


def _market_day(calendar: pd.DatetimeIndex, day: pd.Timestamp) -> pd.Timestamp:
    return calendar[calendar.searchsorted(day, side="right") - 1]


def _industry(symbol: str) -> str | None:
    info = catalog().get(symbol)
    return info.industry if info else None


def _nonempty(frame: pd.DataFrame) -> pd.DataFrame | None:
    return frame if len(frame) else None


def _known_reports(reports: pd.DataFrame | None, cut: pd.Timestamp) -> pd.DataFrame | None:
    if reports is None:
        return None
    return _nonempty(reports[reports["published_by"] <= cut])


def _name_at(names: pd.Series | None, cut: pd.Timestamp) -> str | None:
    if names is None:
        return None
    known = names.iloc[: names.index.searchsorted(cut, side="right")]
    return str(known.iloc[-1]) if len(known) else None


def _closes(frames: dict[str, pd.DataFrame], cut: pd.Timestamp) -> dict[str, pd.Series]:
    """Adjusted closes up to ``cut`` of the stocks still trading then (a bar within MAX_GAP_DAYS)."""
    out = {}
    for symbol, frame in frames.items():
        upto = _upto(frame, cut)
        if len(upto) and (cut - upto.index[-1]).days <= MAX_GAP_DAYS:
            out[symbol] = adjusted_close(upto)
    return out


def _part(first: pd.Timestamp, last: pd.Timestamp, rows: int, stale: bool) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "first": first.date(),
        "last": last.date(),
        "rows": rows,
        "stale": stale,
        "missing": False,
    }


def _missing() -> dict[str, Any]:
    return {"source": SOURCE, "first": None, "last": None, "rows": 0, "stale": False, "missing": True}


def _daily_part(frame: pd.DataFrame | None, market_day: pd.Timestamp) -> dict[str, Any]:
    if frame is None or not len(frame):
        return _missing()
    return _part(frame.index[0], frame.index[-1], len(frame), bool(frame.index[-1] < market_day))


def _reports_part(reports: pd.DataFrame | None, cut: pd.Timestamp) -> dict[str, Any]:
    if reports is None:
        return _missing()
    last = reports.index[-1]
    return _part(reports.index[0], last, len(reports), (cut - last).days > FUNDAMENTALS_STALE_DAYS)


def _series_part(closes: dict[str, pd.Series], cut: pd.Timestamp) -> dict[str, Any]:
    if not closes:
        return _missing()
    first = min(s.index[0] for s in closes.values())
    last = max(s.index[-1] for s in closes.values())
    stale = any(s.index[-1] < cut for s in closes.values())
    return _part(first, last, len(closes), stale)
