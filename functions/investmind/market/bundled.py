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

from .adjust import adjusted_close
from .base import BAR_COLUMNS, PRICE_COLUMNS, VALUATION_COLUMNS, PartUnavailable, Profile
from .catalog import catalog
from .frames import closes_upto, upto
from .reports import published_by
from .symbols import normalize_symbol

logger = logging.getLogger(__name__)

DATA_DIR = Path(__file__).parent / "data"
SOURCE = "bundled"

_VALUATION = dict(zip(["peTTM", "pbMRQ", "psTTM", "pcfNcfTTM"], VALUATION_COLUMNS, strict=True))
_RECENT_EXTRA = {"preclose": "preclose", "turn": "turn", "pctChg": "pct_chg"}


@dataclass(frozen=True, slots=True)
class _Store:
    bars: dict[str, pd.DataFrame]
    names: dict[str, pd.Series]
    valuation: dict[str, pd.DataFrame]
    fundamentals: dict[str, pd.DataFrame]
    index: pd.DataFrame


def _read(name: str, **kwargs: Any) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name, date_format="%Y-%m-%d", **kwargs)


def _by_symbol(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {
        normalize_symbol(code): part.drop(columns="code").set_index("date").sort_index()
        for code, part in frame.groupby("code", sort=False)
    }


def _read_recent() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    columns = ["date", "code", *PRICE_COLUMNS, *_RECENT_EXTRA, *_VALUATION]
    frame = _read(
        "cn_daily_2020_2025.csv",
        usecols=columns,
        dtype={"code": str, **{c: "float64" for c in columns[2:]}},
        parse_dates=["date"],
    ).rename(columns={**_RECENT_EXTRA, **_VALUATION})
    frames = _by_symbol(frame)
    bars = {s: f[BAR_COLUMNS] for s, f in frames.items()}
    valuation = {s: f[VALUATION_COLUMNS] for s, f in frames.items()}
    return bars, valuation


def _read_older() -> tuple[dict[str, pd.DataFrame], dict[str, pd.Series]]:
    frame = _read(
        "cn_daily_2015_2020.csv",
        dtype={"code": str, "name": str, **{c: "float64" for c in PRICE_COLUMNS}},
        parse_dates=["date"],
    )
    frames = _by_symbol(frame)
    bars = {s: f[PRICE_COLUMNS].reindex(columns=BAR_COLUMNS) for s, f in frames.items()}
    names = {s: f["name"] for s, f in frames.items()}
    return bars, names


def _read_index() -> pd.DataFrame:
    # The file's columns run date,open,close,high,low,...: select by name, never by position.
    frame = _read("csi300_daily_2020_2025.csv", dtype={c: "float64" for c in PRICE_COLUMNS}, parse_dates=["date"])
    return frame.set_index("date").sort_index()[PRICE_COLUMNS]


def _read_fundamentals() -> dict[str, pd.DataFrame]:
    frame = _read(
        "cn_fundamentals_quarterly_2005_2020.csv", dtype={"code": str, "name": str}, parse_dates=["report_date"]
    )
    # report_date is the period end, not the publication date (see data/PROVENANCE.md).
    frame["published_by"] = published_by(frame["report_period"], frame["report_date"])
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
    # Several threads may ask at once (the fetcher's workers, one per part): load once, not per thread.
    with _LOAD_LOCK:
        return _load()


@functools.cache
def _load() -> _Store:
    started = time.perf_counter()
    recent, valuation = _read_recent()
    older, names = _read_older()
    store = _Store(_merge(recent, older), names, valuation, _read_fundamentals(), _read_index())
    logger.info("bundled market data loaded", extra={"ms": round((time.perf_counter() - started) * 1000, 1)})
    return store


def _upto(frame: pd.DataFrame, end: dt.date | None) -> pd.DataFrame:
    return frame if end is None else upto(frame, pd.Timestamp(end))


def _bars(symbol: str, end: dt.date | None) -> pd.DataFrame:
    history = _store().bars.get(symbol)
    if history is None:
        raise PartUnavailable(f"no bundled data for {symbol}")
    first = history.index[0].date()
    if end is not None and end < first:
        raise PartUnavailable(f"no bundled data for {symbol} before {first.isoformat()}")
    return _upto(history, end)


def _valuation(symbol: str, end: dt.date | None) -> pd.DataFrame:
    frame = _store().valuation.get(symbol)
    if frame is None:
        raise PartUnavailable(f"no bundled valuation for {symbol} (only the 2020-2025 stocks have one)")
    return _upto(frame, end)


def _fundamentals(symbol: str, end: dt.date | None) -> pd.DataFrame:
    reports = _store().fundamentals.get(symbol)
    if reports is None:
        raise PartUnavailable(f"no bundled financial reports for {symbol}")
    return reports if end is None else reports[reports["published_by"] <= pd.Timestamp(end)]


def _profile(symbol: str, end: dt.date | None) -> Profile:
    info = catalog().get(symbol)
    if info is None:
        raise PartUnavailable(f"no bundled data for {symbol}")
    names = _store().names.get(symbol)
    known = _upto(names, end) if names is not None else ()
    return Profile(name=str(known.iloc[-1]) if len(known) else info.name, industry=info.industry)


def _closes(symbols: list[str], end: dt.date | None) -> dict[str, pd.Series]:
    """Adjusted closes up to ``end`` of the stocks still trading then (a bar within MAX_GAP_DAYS)."""
    store = _store()
    adjusted = {}
    for symbol in symbols:
        frame = _upto(store.bars[symbol], end)
        if len(frame):
            adjusted[symbol] = adjusted_close(frame)
    return adjusted if end is None else closes_upto(adjusted, pd.Timestamp(end))


def _peers(symbol: str, end: dt.date | None) -> dict[str, pd.Series]:
    industry = _profile(symbol, end).industry
    if industry is None:
        raise PartUnavailable(f"no industry classification for {symbol} in the bundled data")
    same = [s for s, info in catalog().items() if s != symbol and info.industry == industry]
    if not same:
        raise PartUnavailable(f"no other {industry} stock in the bundled data")
    return _closes(same, end)


class BundledProvider:
    """The real dataset shipped with the package: works offline, never changes, so never stale in itself."""

    name = SOURCE
    remote = False

    def daily_bars(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        return _bars(symbol, end)

    def valuation(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        return _valuation(symbol, end)

    def fundamentals(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        return _fundamentals(symbol, end)

    def index_bars(self, end: dt.date | None) -> pd.DataFrame:
        return _upto(_store().index, end)

    def profile(self, symbol: str, end: dt.date | None) -> Profile:
        return _profile(symbol, end)

    def peers(self, symbol: str, end: dt.date | None) -> dict[str, pd.Series]:
        return _peers(symbol, end)

    def universe(self, end: dt.date | None) -> dict[str, pd.Series]:
        return _closes(list(_store().bars), end)

    def macro(self, end: dt.date | None) -> pd.DataFrame:
        raise PartUnavailable("the bundled data has no macro series")
