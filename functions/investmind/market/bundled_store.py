"""The bundled dataset in memory: every file of ``data/`` read once and merged per stock.

Daily bars come from three sources (``data/PROVENANCE.md``), best first:

1. baostock 2020-01-02 .. 2025-04-07, 61 CSI 300 stocks, **unadjusted** (traded prices), with
   turnover and valuation; suspended days (``tradestatus`` 0: no trade, no volume) are dropped;
2. Qbot 2010-01-04 .. 2020-09-07, 46 of them, forward-adjusted as of 2020-09-07;
3. zvt 2015-01-05 .. 2020-06-16, 8 stocks (6 of them in no other file), forward-adjusted to about
   2020-06-16.

Each stock takes the best source from that source's first date on, and an older one only before
it. Rows of 2 and 3 carry ``source_adjusted`` = 1: returns across them are right, their price
levels were never traded.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .base import BAR_COLUMNS, PRICE_COLUMNS, VALUATION_COLUMNS
from .macro_series import load_macro
from .reports import published_by
from .symbols import normalize_symbol
from .universe import DATA_DIR

logger = logging.getLogger(__name__)

UNADJUSTED = "cn_daily_61_2020_2025.csv.gz"
QBOT = "cn_daily_qfq_2010_2020_qbot46.csv.gz"
ZVT = "cn_daily_2015_2020.csv.gz"
FUNDAMENTALS = "cn_fundamentals_quarterly_2005_2020.csv.gz"
INDEX = "csi300_daily_2020_2025.csv.gz"
_VALUATION = dict(zip(["peTTM", "pbMRQ", "psTTM", "pcfNcfTTM"], VALUATION_COLUMNS, strict=True))
_EXTRA = {"preclose": "preclose", "turn": "turn", "pctChg": "pct_chg"}


@dataclass(frozen=True, slots=True)
class Store:
    bars: dict[str, pd.DataFrame]
    names: dict[str, pd.Series]
    """Dated names, for the stocks whose source records renames (zvt)."""
    valuation: dict[str, pd.DataFrame]
    fundamentals: dict[str, pd.DataFrame]
    index: pd.DataFrame
    macro: pd.DataFrame
    growth: dict[str, pd.Series]
    """Per stock, the cumulative product of (1 + true daily return) over its whole history."""


def _read(name: str, **kwargs: Any) -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / name, date_format="%Y-%m-%d", **kwargs)


def _by_symbol(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """One frame per stock, indexed by date: sorted once, then sliced (a groupby per stock costs ~10x more)."""
    frame = frame.sort_values(["code", "date"], kind="stable").set_index("date")
    codes = frame.pop("code").to_numpy()
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    ends = np.r_[starts[1:], len(codes)]
    return {normalize_symbol(codes[a]): frame.iloc[a:b] for a, b in zip(starts, ends, strict=True)}


def _read_unadjusted() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    columns = ["date", "code", *PRICE_COLUMNS, *_EXTRA, *_VALUATION, "tradestatus"]
    frame = _read(
        UNADJUSTED,
        usecols=columns,
        dtype={"code": str, **{c: "float64" for c in columns[2:]}},
        parse_dates=["date"],
    ).rename(columns={**_EXTRA, **_VALUATION})
    frame = frame[frame.pop("tradestatus") == 1]  # a suspended day is not a bar: nothing traded
    frame["source_adjusted"] = 0.0
    keys = ["code", "date"]
    return _by_symbol(frame[[*keys, *BAR_COLUMNS]]), _by_symbol(frame[[*keys, *VALUATION_COLUMNS]])


def _read_qbot() -> dict[str, pd.DataFrame]:
    columns = ["date", "code", *PRICE_COLUMNS, "preclose", "pctChg"]
    frame = _read(
        QBOT, usecols=columns, dtype={"code": str, **{c: "float64" for c in columns[2:]}}, parse_dates=["date"]
    )
    frame = frame.rename(columns={"pctChg": "pct_chg"}).assign(source_adjusted=1.0)
    return _by_symbol(frame.reindex(columns=["code", "date", *BAR_COLUMNS]))


def _read_zvt() -> tuple[dict[str, pd.DataFrame], dict[str, pd.Series]]:
    frame = _read(ZVT, dtype={"code": str, "name": str, **{c: "float64" for c in PRICE_COLUMNS}}, parse_dates=["date"])
    frames = _by_symbol(frame.assign(source_adjusted=1.0).reindex(columns=["code", "date", "name", *BAR_COLUMNS]))
    return {s: f[BAR_COLUMNS] for s, f in frames.items()}, {s: f["name"] for s, f in frames.items()}


def _read_index() -> pd.DataFrame:
    # The file's columns run date,open,close,high,low,...: select by name, never by position.
    frame = _read(INDEX, dtype={c: "float64" for c in PRICE_COLUMNS}, parse_dates=["date"])
    return frame.set_index("date").sort_index()[PRICE_COLUMNS]


def _read_fundamentals() -> dict[str, pd.DataFrame]:
    frame = _read(FUNDAMENTALS, dtype={"code": str, "name": str}, parse_dates=["report_date"])
    # report_date is the period end, not the publication date (see data/PROVENANCE.md).
    frame["published_by"] = published_by(frame["report_period"], frame["report_date"])
    frame = frame.drop(columns="name").rename(columns={"report_date": "date"})
    return {s: f.rename_axis("report_date") for s, f in _by_symbol(frame).items()}


def merge(*sources: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Per stock, the rows of the first source from its first date on, then each later one before that."""
    merged: dict[str, pd.DataFrame] = {}
    for source in sources:
        for symbol, frame in source.items():
            have = merged.get(symbol)
            merged[symbol] = frame if have is None else pd.concat([frame[frame.index < have.index[0]], have])
    return merged


def true_growth(bars: pd.DataFrame) -> pd.Series:
    """Cumulative (1 + true daily return): ``close / preclose`` where a preclose exists, else close to close."""
    close, preclose = bars["close"].to_numpy(), bars["preclose"].to_numpy()
    previous = np.where(np.isnan(preclose), np.r_[np.nan, close[:-1]], preclose)
    ratio = close / previous
    return pd.Series(np.cumprod(np.where(np.isnan(ratio), 1.0, ratio)), index=bars.index, name="close")


_LOCK = threading.Lock()


def store() -> Store:
    # Several threads may ask at once (the provider runs off the event loop): load once, not per thread.
    with _LOCK:
        return _load()


@functools.cache
def _load() -> Store:
    started = time.perf_counter()
    unadjusted, valuation = _read_unadjusted()
    zvt, names = _read_zvt()
    bars = merge(unadjusted, _read_qbot(), zvt)
    growth = {s: true_growth(f) for s, f in bars.items()}
    loaded = Store(bars, names, valuation, _read_fundamentals(), _read_index(), load_macro(), growth)
    logger.info("bundled market data loaded", extra={"ms": round((time.perf_counter() - started) * 1000, 1)})
    return loaded
