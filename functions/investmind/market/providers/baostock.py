"""The baostock provider: baostock's free service through its pure-Python client (no token, no native code).

baostock answers every query with a ``ResultData``: rows are lists of strings in the order of its
``fields``, ``""`` where a value is missing, read row by row with ``next()`` / ``get_row_data()`` (the
documented loop; its ``get_data()`` pages with ``DataFrame.append``, which pandas 2 removed). Units as
documented: prices in yuan, ``volume`` in shares, ``amount`` in yuan, ``turn`` and ``pctChg`` in percent,
the quarterly ratios as fractions (0.10 = 10 %), money supply growth in percent. The client keeps one
login session on one socket for the whole process, so every call goes through one lock: it logs in
on first use, and once more when a query says the session has expired. Its socket has no timeout: a
call that hangs holds the lock, and the fetcher's per-part deadline moves the chain on meanwhile.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pandas as pd

from ..base import FUNDAMENTAL_COLUMNS, MACRO_PART_COLUMNS, PRICE_COLUMNS, VALUATION_COLUMNS, PartUnavailable, Profile
from ..frames import dated, numeric
from ..macro_series import known_from
from ..reports import period_of
from .common import LazyModule, SourceError, adjusted_closes, bar_frame, nonempty, window

CSI300 = "sh.000300"
UNADJUSTED = "3"  # adjustflag: 1 back-adjusted, 2 forward-adjusted, 3 as traded
K_FIELDS = "date,code,open,high,low,close,preclose,volume,amount,adjustflag,turn,tradestatus,pctChg,isST"
VALUATION_FIELDS = "date,code,peTTM,pbMRQ,psTTM,pcfNcfTTM"
INDEX_FIELDS = "date,code,open,high,low,close,preclose,volume,amount,pctChg"
PEER_FIELDS = "date,code,close,preclose,tradestatus"
FIRST_TRADING_DAY = "1990-12-19"
"""Asking the ex-date factors from here gets a stock's whole list, so each one's predecessor is known."""
_VALUATION = dict(zip(["peTTM", "pbMRQ", "psTTM", "pcfNcfTTM"], VALUATION_COLUMNS, strict=True))
# One report, three queries (query_profit_data, query_growth_data, query_balance_data): fractions already.
_PROFIT = {"roeAvg": "roe", "npMargin": "net_margin", "gpMargin": "gross_profit_margin", "netProfit": "net_profit"}
_GROWTH = {"YOYNI": "net_profit_growth_yoy"}
_BALANCE = {"liabilityToAsset": "debt_asset_ratio", "currentRatio": "current_ratio", "quickRatio": "quick_ratio"}
_MONEY = {"m1YOY": "m1_yoy", "m2YOY": "m2_yoy"}
_OK, _NOT_LOGGED_IN, _BAD_CODE = "0", "10001001", "10004011"
_SESSION = threading.Lock()
"""The client's session is the process's, whichever provider object uses it."""


def bs_code(symbol: str) -> str:
    """``sh.600519`` for ``600519.SH``; baostock serves the Shanghai and Shenzhen exchanges only."""
    code, market = symbol.split(".", 1)
    if market not in ("SH", "SZ"):
        raise PartUnavailable(f"baostock has no {market} stocks ({symbol})")
    return f"{market.lower()}.{code}"


def symbol_of(code: str) -> str:
    market, digits = code.split(".", 1)
    return f"{digits}.{market.upper()}"


def ex_date_preclose(bars: pd.DataFrame, factors: pd.DataFrame) -> pd.Series:
    """The exchange's reference price on each ex-date, from ``query_adjust_factor``'s back-adjustment factors.

    Back-adjusted prices run on across an ex-date: ``previous close × f_before = preclose × f_on``, so
    ``preclose = previous close × f_before / f_on``. A stock's first listed factor follows none (1.0).
    """
    factor = numeric(dated(factors, "dividOperateDate"), ["backAdjustFactor"])["backAdjustFactor"].dropna()
    before = factor.shift(fill_value=1.0)
    previous_close = bars["close"].shift()
    on_ex_dates = factor.index.intersection(bars.index[1:])
    return (previous_close[on_ex_dates] * before[on_ex_dates] / factor[on_ex_dates]).rename("preclose")


def bars_from_k(raw: pd.DataFrame, factors: pd.DataFrame | None = None) -> pd.DataFrame:
    """``query_history_k_data_plus`` (unadjusted daily rows) as ``BAR_COLUMNS``.

    A suspended day (``tradestatus`` 0: no volume, the close carried over) is no bar: nothing traded.
    ``preclose`` is baostock's, the exchange's ex-rights reference price; where an ex-date's is
    missing, the ex-date factors give it, so a return never spans a dividend unadjusted.
    """
    columns = ["open", "high", "low", "close", "preclose", "volume", "amount", "turn", "pctChg", "tradestatus"]
    frame = numeric(dated(raw, "date"), columns)
    frame = frame[frame["tradestatus"] != 0].rename(columns={"pctChg": "pct_chg"})
    if factors is not None and len(frame):
        reference = ex_date_preclose(frame, factors)
        frame["preclose"] = frame["preclose"].fillna(reference.reindex(frame.index))
    frame["source_adjusted"] = 0.0
    return bar_frame(frame)


def valuation_from_k(raw: pd.DataFrame) -> pd.DataFrame:
    """The daily ratios of ``query_history_k_data_plus`` (``pcfNcfTTM``: price over net cash flow, TTM)."""
    frame = numeric(dated(raw, "date"), list(_VALUATION)).rename(columns=_VALUATION)
    return frame.reindex(columns=VALUATION_COLUMNS)


def index_from_k(raw: pd.DataFrame) -> pd.DataFrame:
    """The CSI 300's rows as ``PRICE_COLUMNS``; its volume in lots of 100, as the index parts count it."""
    frame = numeric(dated(raw, "date"), PRICE_COLUMNS)
    frame["volume"] = frame["volume"] / 100.0
    return frame.reindex(columns=PRICE_COLUMNS).astype("float64")


def report_from(profit: pd.DataFrame, growth: pd.DataFrame | None, balance: pd.DataFrame | None) -> pd.DataFrame:
    """One quarter's report (the three queries' single rows) as ``FUNDAMENTAL_COLUMNS``, public from ``pubDate``."""
    row = numeric(profit.iloc[[0]], _PROFIT).rename(columns=_PROFIT)
    for extra, names in ((growth, _GROWTH), (balance, _BALANCE)):
        if extra is not None and len(extra):
            values = numeric(extra.iloc[[0]], names).rename(columns=names).reindex(columns=list(names.values()))
            for column in names.values():
                row[column] = values[column].to_numpy()
    frame = dated(row, "statDate", name="report_date")
    frame["report_period"] = [period_of(d) for d in frame.index]
    frame["published_by"] = pd.to_datetime(frame["pubDate"])
    return frame.reindex(columns=FUNDAMENTAL_COLUMNS)


def macro_from_money(raw: pd.DataFrame) -> pd.DataFrame:
    """``query_money_supply_data_month``: M1 and M2 growth, each filed under the day it is taken as public."""
    frame = numeric(raw, ["statYear", "statMonth", *_MONEY])
    months = pd.to_datetime(pd.DataFrame({"year": frame["statYear"], "month": frame["statMonth"], "day": 1}))
    series = []
    for source, column in _MONEY.items():
        values = pd.Series(frame[source].to_numpy(), index=pd.DatetimeIndex(months)).dropna()
        series.append(values.set_axis(known_from(pd.DatetimeIndex(values.index), column)).rename(column))
    out = pd.concat(series, axis=1, sort=True)
    out.index.name = "date"
    return out.reindex(columns=MACRO_PART_COLUMNS)


def _quarter_ends(last: dt.date, count: int) -> list[tuple[int, int]]:
    """The ``count`` latest (year, quarter) whose period ended by ``last``, newest first."""
    year, quarter = last.year, (last.month - 1) // 3  # the quarter in progress has not ended
    if quarter == 0:
        year, quarter = year - 1, 4
    ends = []
    for _ in range(count):
        ends.append((year, quarter))
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return ends


class BaostockProvider:
    """A-share data from baostock (www.baostock.com): free, no token; Shanghai and Shenzhen stocks.

    Parameters
    ----------
    module
        The ``baostock`` module (imported on first use when None; tests pass one that answers recorded rows).
    report_quarters
        How many quarters back to look for the latest published report (an annual report comes out
        up to four months after its period ends).
    peer_count, peer_lookback_days
        The industry peers: up to ``peer_count`` stocks of the same CSRC industry, CSI 300 members first.
    """

    name = "baostock"
    remote = True

    def __init__(
        self,
        module: Any = None,
        *,
        call_timeout_s: float = 8.0,
        lookback_days: int = 1500,
        report_quarters: int = 4,
        peer_count: int = 5,
        peer_lookback_days: int = 400,
    ) -> None:
        self._bs = LazyModule("baostock", module)
        self._logged_in = False
        self._timeout = call_timeout_s
        self._lookback = lookback_days
        self._report_quarters = report_quarters
        self._peer_count = peer_count
        self._peer_lookback = peer_lookback_days

    def _login(self, bs: Any) -> None:
        answer = bs.login()
        if answer.error_code != _OK:
            raise SourceError(f"baostock login: {answer.error_code} {answer.error_msg}")
        self._logged_in = True

    def _query(self, method: str, **kwargs: Any) -> pd.DataFrame:
        """Every row of one query, on the one session; empty when baostock has none."""
        bs = self._bs.get()
        with _SESSION:
            if not self._logged_in:
                self._login(bs)
            answer = getattr(bs, method)(**kwargs)
            if answer.error_code == _NOT_LOGGED_IN:  # the server dropped the session: once more
                self._login(bs)
                answer = getattr(bs, method)(**kwargs)
            rows = []
            while answer.error_code == _OK and answer.next():
                rows.append(answer.get_row_data())
        if answer.error_code == _BAD_CODE:
            raise PartUnavailable(f"baostock.{method}: {answer.error_msg} ({kwargs.get('code')})")
        if answer.error_code != _OK:
            raise SourceError(f"baostock.{method}: {answer.error_code} {answer.error_msg}")
        return pd.DataFrame(rows, columns=answer.fields)

    def _k(self, code: str, fields: str, first: dt.date, last: dt.date) -> pd.DataFrame:
        frame = self._query(
            "query_history_k_data_plus", code=code, fields=fields, start_date=first.isoformat(),
            end_date=last.isoformat(), frequency="d", adjustflag=UNADJUSTED,
        )  # fmt: skip
        return nonempty(frame, f"baostock daily rows of {code}")

    def daily_bars(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        first, last = window(end, self._lookback)
        code = bs_code(symbol)
        raw = self._k(code, K_FIELDS, first, last)
        try:
            factors = self._query(
                "query_adjust_factor", code=code, start_date=FIRST_TRADING_DAY, end_date=last.isoformat()
            )
        except (SourceError, PartUnavailable):
            factors = None  # the bars' own preclose still holds every ex-date baostock filled in
        return nonempty(bars_from_k(raw, factors), f"baostock bars of {symbol} (suspended throughout)")

    def valuation(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        first, last = window(end, self._lookback)
        return valuation_from_k(self._k(bs_code(symbol), VALUATION_FIELDS, first, last))

    def fundamentals(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        """The latest report public by ``end``: the newest quarter whose ``pubDate`` is not after it."""
        code, last = bs_code(symbol), window(end, 0)[1]
        for year, quarter in _quarter_ends(last, self._report_quarters):
            profit = self._query("query_profit_data", code=code, year=year, quarter=quarter)
            if not len(profit) or pd.Timestamp(profit["pubDate"].iloc[0]) > pd.Timestamp(last):
                continue
            growth = self._query("query_growth_data", code=code, year=year, quarter=quarter)
            balance = self._query("query_balance_data", code=code, year=year, quarter=quarter)
            return report_from(profit, growth, balance)
        raise PartUnavailable(f"baostock has no report of {symbol} published by {last}")

    def index_bars(self, end: dt.date | None) -> pd.DataFrame:
        first, last = window(end, self._lookback)
        return index_from_k(self._k(CSI300, INDEX_FIELDS, first, last))

    def _industries(self, end: dt.date | None, code: str = "") -> pd.DataFrame:
        day = "" if end is None else end.isoformat()  # the CSRC classification as it stood that day
        return self._query("query_stock_industry", code=code, date=day)

    def profile(self, symbol: str, end: dt.date | None) -> Profile:
        code = bs_code(symbol)
        rows = self._industries(end, code)
        if not len(rows):
            basic = nonempty(self._query("query_stock_basic", code=code), f"baostock stock_basic of {symbol}")
            return Profile(name=str(basic["code_name"].iloc[0]), industry=None)
        industry = str(rows["industry"].iloc[-1]).strip()
        return Profile(name=str(rows["code_name"].iloc[-1]), industry=industry or None)

    def peers(self, symbol: str, end: dt.date | None) -> dict[str, pd.Series]:
        code = bs_code(symbol)
        listed = self._industries(end)
        own = listed.loc[listed["code"] == code, "industry"]
        industry = str(own.iloc[0]).strip() if len(own) else ""
        if not industry:
            raise PartUnavailable(f"baostock has no industry for {symbol}")
        members = sorted(str(c) for c in listed.loc[listed["industry"] == industry, "code"] if str(c) != code)
        if not members:
            raise PartUnavailable(f"baostock lists no other stock in {industry}")
        large = set(self._query("query_hs300_stocks", date="" if end is None else end.isoformat()).get("code", []))
        chosen = sorted(members, key=lambda c: c not in large)[: self._peer_count]  # stable: code order within
        first, last = window(end, self._peer_lookback)
        bars = {}
        for peer in chosen:
            try:
                bars[symbol_of(peer)] = bars_from_k(self._k(peer, PEER_FIELDS, first, last))
            except PartUnavailable:
                continue  # a peer without rows in the window (suspended, listed later) is left out
        return adjusted_closes(bars)

    def universe(self, end: dt.date | None) -> dict[str, pd.Series]:
        raise PartUnavailable("baostock: the whole-market universe is not fetched")

    def macro(self, end: dt.date | None) -> pd.DataFrame:
        first, last = window(end, self._lookback)
        raw = self._query("query_money_supply_data_month", start_date=f"{first:%Y-%m}", end_date=f"{last:%Y-%m}")
        frame = macro_from_money(nonempty(raw, "baostock money supply"))
        return frame.loc[: pd.Timestamp(last)]
