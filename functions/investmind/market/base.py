"""The one interface every market-data provider implements, and the names the parts share.

Pandas stays out of this module's imports (``settings`` reads ``PROVIDER_NAMES`` from here).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import pandas as pd

PROVIDER_NAMES: tuple[str, ...] = ("bundled", "akshare", "tushare", "baostock")
"""What ``INVESTMIND_DATA_PROVIDERS`` may list, in the order the chain should try them."""

PART_NAMES: tuple[str, ...] = (
    "bars",
    "valuation",
    "fundamentals",
    "index_bars",
    "profile",
    "peers",
    "universe",
    "macro",
)
MARKET_PARTS = frozenset({"index_bars", "universe", "macro"})
"""Parts that do not depend on the stock: one cached copy serves every symbol."""

PRICE_COLUMNS = ["open", "high", "low", "close", "volume", "amount"]
"""Prices in yuan (index: points), volume in shares (index: in lots of 100, as published), amount in yuan."""
BAR_COLUMNS = [*PRICE_COLUMNS, "preclose", "turn", "pct_chg", "source_adjusted"]
"""``preclose``: the exchange's reference price (ex-rights), ``turn``: turnover %, ``pct_chg``: %;
``source_adjusted``: 1 where the source had already adjusted the row's prices for later dividends and
splits (so they were never traded at those levels), NaN or 0 where they are as traded."""
VALUATION_COLUMNS = ["pe_ttm", "pb_mrq", "ps_ttm", "pcf_ttm"]
FUNDAMENTAL_COLUMNS = [
    "report_period",
    "basic_eps",
    "deducted_eps",
    "bps",
    "op_cash_flow_ps",
    "total_op_income",
    "net_profit",
    "deducted_net_profit",
    "op_income_growth_yoy",
    "net_profit_growth_yoy",
    "roe",
    "deducted_roe",
    "rota",
    "gross_profit_margin",
    "net_margin",
    "debt_asset_ratio",
    "current_ratio",
    "quick_ratio",
    "fi_npl_ratio",
    "fi_loan_deposit_ratio",
    "published_by",
]
"""Ratios and growth rates as fractions (0.21, not 21 %); ``published_by``: the date the report was public."""
MACRO_COLUMNS = ["shibor_on", "shibor_1w", "shibor_1m", "shibor_3m", "shibor_1y"]
"""Daily Shibor fixings in percent, as published."""
MONTHLY_MACRO_COLUMNS = ["pmi_mfg", "pmi_nonmfg", "cpi_yoy", "ppi_yoy", "m1_yoy", "m2_yoy", "new_loans", "tsf"]
"""Monthly statistics on the day each became public (``market.macro_series``): PMI (50 = no change);
CPI, PPI, M1, M2 year on year in percent; new RMB loans and total social financing, monthly flows in
RMB 100 million."""
MACRO_PART_COLUMNS = [*MACRO_COLUMNS, *MONTHLY_MACRO_COLUMNS]
"""The columns of the ``macro`` part: a source may fill only some of them (the rest stay NaN)."""


class PartUnavailable(Exception):
    """A provider has no such data (unknown symbol, a date outside its range, a part it does not serve)."""


@dataclass(frozen=True, slots=True)
class Profile:
    """What a stock is: its name at the date asked for and its industry in the provider's classification."""

    name: str
    industry: str | None


@runtime_checkable
class MarketDataProvider(Protocol):
    """What analysts read, from one source. Every method is a plain blocking call and cuts at ``end``.

    ``end`` is the last date wanted (inclusive), None for the latest the source has. Frames are
    indexed by a sorted ``DatetimeIndex`` named ``date`` (fundamentals: the period end) with the
    columns named above; peers and universe map canonical symbols to closes adjusted for splits and
    dividends. A provider raises ``PartUnavailable`` for data it does not have and lets any other
    exception (network, timeout, a changed upstream format) propagate: the chain tries the next
    provider either way, and records which it was. The fetcher calls the methods on its worker
    threads under a per-part deadline (``parts.PartFetcher``), so a method may block on the network
    and need not bound its own time; it must be safe to call from several threads at once.
    """

    name: str
    remote: bool
    """True when the source is reached over the network (slow, can fail: worth the shared cache)."""

    def daily_bars(self, symbol: str, end: dt.date | None) -> pd.DataFrame: ...

    def valuation(self, symbol: str, end: dt.date | None) -> pd.DataFrame: ...

    def fundamentals(self, symbol: str, end: dt.date | None) -> pd.DataFrame: ...

    def index_bars(self, end: dt.date | None) -> pd.DataFrame: ...

    def profile(self, symbol: str, end: dt.date | None) -> Profile: ...

    def peers(self, symbol: str, end: dt.date | None) -> dict[str, pd.Series]: ...

    def universe(self, end: dt.date | None) -> dict[str, pd.Series]: ...

    def macro(self, end: dt.date | None) -> pd.DataFrame: ...
