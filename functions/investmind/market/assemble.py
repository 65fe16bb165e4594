"""The market as the handlers see it: a snapshot from its parts, all fetched at once, the date resolved,
every part cut and described. Sync from top to bottom (see ``parts`` for how the parts run at once)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataUnavailable, ProviderTimeout
from .base import MARKET_PARTS, PART_NAMES
from .frames import SERIES_PARTS, bounds, cut_part
from .parts import PartFetcher, PartRequest, PartResult
from .snapshot import Snapshot
from .symbols import normalize_symbol
from .trading import market_day, resolve_trading_day

FUNDAMENTALS_STALE_DAYS = 240
"""A statutory deadline falls at least every ~7 months (Q3 on 31 Oct → annual and Q1 on 30 Apr)."""
MACRO_STALE_DAYS = 45
"""Monthly statistics come out once a month: the newest may be a month and a half old before it is late."""


class Market:
    """Snapshots from one provider chain and its caches (built by ``factory.build_market``).

    One per process: it is safe to share between threads, and threads asking for the same stock and
    date at once share its fetches (``PartFetcher``).

    Parameters
    ----------
    fetcher
        The provider chain and caches.
    concurrent
        Fetch the parts at once (on the fetcher's pool); False fetches them one after another,
        which only the benchmark wants, to measure what concurrency saves.
    """

    def __init__(self, fetcher: PartFetcher, *, concurrent: bool = True) -> None:
        self.fetcher = fetcher
        self._concurrent = concurrent

    def load_snapshot(self, symbol: str, as_of: dt.date | None = None) -> Snapshot:
        """``symbol`` (any common spelling) at its last trading day on or before ``as_of`` (None: latest).

        Raises ``DataUnavailable`` for a symbol that is not one, or when no provider has daily bars
        reaching ``as_of`` (a date before the stock's first bar or well after its last);
        ``ProviderTimeout`` when no bars came back and some provider failed in a way that may pass.
        Every other part that no provider has is marked missing, never filled in.
        """
        symbol = _canonical(symbol)
        if isinstance(as_of, dt.datetime):
            as_of = as_of.date()
        requests = {p: PartRequest(p, None if p in MARKET_PARTS else symbol, as_of) for p in PART_NAMES}
        results = self._fetch(requests.values())
        bars = results["bars"]
        if bars.missing:
            raise _no_bars(symbol, as_of, bars)
        days = _dates([bars.value.index])
        resolved = resolve_trading_day(days, as_of, label=f"{bars.source} data for {symbol}")
        cut = pd.Timestamp(resolved)
        values = {p: cut_part(p, r.value, cut) for p, r in results.items()}
        calendar = _calendar(results)
        # "Latest" is held against the last session anything in the snapshot traded, as a date would be.
        requested = as_of or (calendar[-1] if calendar else resolved)
        parts = {p: _describe(p, results[p], values[p], resolved, calendar, requested) for p in PART_NAMES}
        if as_of != resolved:
            # The agents ask for the resolved date (TaskContext.as_of): cache the parts under it too,
            # so a weekend or "latest" request is not fetched again by each of them.
            self._remember(results, values, symbol, resolved)
        profile = values["profile"]
        return Snapshot(
            symbol=symbol,
            name=profile.name if profile else symbol,
            industry=profile.industry if profile else None,
            as_of=resolved,
            bars=values["bars"],
            valuation=values["valuation"],
            fundamentals=values["fundamentals"],
            index_bars=values["index_bars"],
            peers=values["peers"] or {},
            universe=values["universe"] or {},
            parts=parts,
            macro=values["macro"],
        )

    def _fetch(self, requests: Iterable[PartRequest]) -> dict[str, PartResult]:
        if self._concurrent:
            return self.fetcher.fetch_all(requests)
        return {r.part: self.fetcher.fetch(r) for r in requests}

    def _remember(self, results: dict[str, PartResult], values: dict[str, Any], symbol: str, resolved: dt.date) -> None:
        pairs = []
        for part, result in results.items():
            if values[part] is None or result.missing:
                continue
            request = PartRequest(part, None if part in MARKET_PARTS else symbol, resolved)
            pairs.append((request, PartResult(part, values[part], result.source, result.fetched_at, result.stale)))
        self.fetcher.remember(pairs)


def _canonical(symbol: str) -> str:
    try:
        return normalize_symbol(symbol)
    except ValueError as exc:
        raise DataUnavailable(str(exc), {"symbol": symbol}) from exc


def _no_bars(symbol: str, as_of: dt.date | None, result: PartResult) -> Exception:
    reasons = [f.reason for f in result.failures]
    at = f" at {as_of.isoformat()}" if as_of else ""
    details = {"symbol": symbol, "as_of": as_of and as_of.isoformat(), "reasons": reasons}
    message = f"no daily bars for {symbol}{at}: {'; '.join(reasons)}"
    if any(f.transient for f in result.failures):
        return ProviderTimeout(message, details)  # retried by the state machine: the source may come back
    return DataUnavailable(message, details)


def _dates(indexes: list[pd.DatetimeIndex]) -> list[dt.date]:
    """The distinct days of ``indexes``, sorted (in numpy: a snapshot holds tens of thousands of stamps)."""
    days = np.unique(np.concatenate([index.values.astype("datetime64[D]") for index in indexes]))
    return days.astype(object).tolist()


def _calendar(results: dict[str, PartResult]) -> list[dt.date]:
    """Every date on which something in the snapshot traded, before the cut: the sessions we know of."""
    stamps: list[pd.DatetimeIndex] = []
    for part in ("bars", "index_bars"):
        if not results[part].missing:
            stamps.append(results[part].value.index)
    if not results["universe"].missing:
        stamps.extend(c.index for c in results["universe"].value.values())
    return _dates(stamps)


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _describe(
    part: str,
    result: PartResult,
    value: Any,
    resolved: dt.date,
    calendar: list[dt.date],
    requested: dt.date,
) -> dict[str, Any]:
    if value is None:
        note = "; ".join(f.reason for f in result.failures) or f"nothing up to {resolved.isoformat()}"
        return {
            "source": None,
            "as_of": None,
            "fetched_at": None,
            "first": None,
            "last": None,
            "rows": 0,
            "stale": False,
            "missing": True,
            "note": note,
        }
    first, last, rows = bounds(part, value)
    lag = _lag(part, value, last, resolved, calendar, requested)
    notes = []
    if result.failures and not result.stale:
        notes.append("; ".join(f.reason for f in result.failures))  # the providers tried before the source
    if result.stale:
        failed = "; ".join(f.reason for f in result.failures)
        notes.append(f"the copy cached at {_iso(result.fetched_at)}, every provider failed ({failed})")
    if lag:
        notes.append(lag)
    return {
        "source": result.source,
        "as_of": resolved,
        "fetched_at": _iso(result.fetched_at),
        "first": first.date() if first is not None else None,
        "last": last.date() if last is not None else None,
        "rows": rows,
        "stale": bool(result.stale or lag),
        "missing": False,
        "note": "; ".join(notes) or None,
    }


def _lag(
    part: str, value: Any, last: pd.Timestamp | None, resolved: dt.date, calendar: list[dt.date], requested: dt.date
) -> str | None:
    """Why a part's data stops short of the market, or None when it does not.

    The stock's bars are held against the date asked for (the data stopped before it: a
    suspension, a source that is behind), every other daily part against the resolved date.
    """
    if last is None or part == "profile":
        return None
    end = last.date()
    if part == "fundamentals":
        age = (resolved - end).days
        return f"the latest report covers a period ending {age} days earlier" if age > FUNDAMENTALS_STALE_DAYS else None
    if part in SERIES_PARTS:
        behind = sorted(s for s, c in value.items() if c.index[-1].date() < resolved)
        return f"no bar at {resolved.isoformat()} for {', '.join(behind)}" if behind else None
    if part == "macro":
        return f"the latest value is from {end.isoformat()}" if (resolved - end).days > MACRO_STALE_DAYS else None
    session = market_day(calendar, requested if part == "bars" else resolved)
    if session is not None and end < session:
        return f"data ends {end.isoformat()}; the market traded on {session.isoformat()}"
    return None
