"""The bundled offline provider: real A-share data shipped in ``data/`` (``bundled_store``, ``data/PROVENANCE.md``)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .base import PartUnavailable, Profile
from .bundled_store import store as _store
from .catalog import catalog
from .frames import closes_upto, upto
from .universe import DATA_DIR

__all__ = ["DATA_DIR", "SOURCE", "BundledProvider"]

SOURCE = "bundled"


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
    """Adjusted closes up to ``end`` of the stocks still trading then (a bar within MAX_GAP_DAYS).

    Each is the stock's true growth rescaled so that its last value is the real close at ``end``,
    as ``adjust.adjusted_close`` of the cut bars would give, from a product computed once.
    """
    data = _store()
    adjusted = {}
    for symbol in symbols:
        close, growth = _upto(data.bars[symbol]["close"], end), _upto(data.growth[symbol], end)
        if len(close):
            adjusted[symbol] = (growth * (float(close.iloc[-1]) / float(growth.iloc[-1]))).rename("close")
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
        return _upto(_store().macro, end)
