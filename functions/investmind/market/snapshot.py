"""The market data one analysis reads: one stock and its context, all cut at the analysis date."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .base import PART_NAMES

if TYPE_CHECKING:  # pandas stays out of this module's imports so `investmind.market` imports light
    import pandas as pd

__all__ = ["PART_NAMES", "Snapshot"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One stock as of one trading day, with nothing dated after it.

    Every frame is indexed by a ``DatetimeIndex`` named ``date`` (``fundamentals``: the period end)
    whose last entry is at or before ``as_of``. Treat the frames as read-only: providers may share
    them between snapshots.

    Attributes
    ----------
    bars
        Daily ``open, high, low, close, volume, amount, preclose, turn, pct_chg, source_adjusted`` as
        published (unadjusted, except where the source itself is adjusted: ``source_adjusted`` 1, see
        ``data/PROVENANCE.md``); ``preclose``, ``turn`` and ``pct_chg`` are NaN where the source lacks them.
    valuation
        Daily ``pe_ttm, pb_mrq, ps_ttm, pcf_ttm``, or None when no source has any up to ``as_of``.
    fundamentals
        Quarterly reports known by ``as_of`` (column ``published_by``), or None.
    index_bars
        CSI 300 daily ``open, high, low, close, volume, amount``, or None outside its range.
    peers, universe
        Symbol → close series adjusted for splits and dividends (so returns across an ex-date are
        real), for same-industry stocks and for every stock trading at ``as_of`` (this one included).
    parts
        Part name (``PART_NAMES``) → ``{source, as_of, fetched_at, first, last, rows, stale, missing,
        note}``: which provider supplied it and when; ``stale`` when it is a cached copy served
        because every provider failed, or when its data stops before the market's last session;
        ``missing`` when no provider had it (``note`` says why).
    macro
        ``base.MACRO_PART_COLUMNS``: daily Shibor fixings (percent) and the monthly statistics (PMI,
        CPI, PPI, M1, M2, new loans, social financing) filed under the day each was public, NaN where a
        row has no value (read a column with ``dropna()``); None when no provider in the chain has any.
        The bundled data has Shibor 2006-2018 and the monthly series 2008-2026.
    """

    symbol: str
    name: str
    industry: str | None
    as_of: dt.date
    bars: pd.DataFrame
    valuation: pd.DataFrame | None
    fundamentals: pd.DataFrame | None
    index_bars: pd.DataFrame | None
    peers: dict[str, pd.Series]
    universe: dict[str, pd.Series]
    parts: dict[str, dict[str, Any]]
    macro: pd.DataFrame | None = None

    @property
    def close(self) -> float:
        """The last close (at ``as_of``)."""
        return float(self.bars["close"].iloc[-1])

    def stale(self, part: str) -> bool:
        return bool(self.parts.get(part, {}).get("stale", False))

    def missing(self, part: str) -> bool:
        return bool(self.parts.get(part, {}).get("missing", True))
