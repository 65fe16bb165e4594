"""The akshare provider: Eastmoney and Sina data through the akshare library (sync, called as it is).

Column names and units follow akshare's documentation; each function's mapping sits beside the
call that returns it. akshare is imported on first use only (``pip install 'investmind[providers]'``).
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

import pandas as pd

from ..base import MACRO_COLUMNS, PRICE_COLUMNS, VALUATION_COLUMNS, PartUnavailable, Profile
from ..frames import dated, numeric
from ..reports import period_of, published_by
from ..symbols import code_of, normalize_symbol
from .common import LazyModule, adjusted_closes, bar_frame, between, fan_out, nonempty, window, ymd

CSI300 = "sh000300"

# stock_zh_a_hist (Eastmoney daily bars, unadjusted with adjust=""): volume in lots of 100 shares,
# amount in yuan, 涨跌幅/换手率 in percent.
_BARS = {"开盘": "open", "最高": "high", "最低": "low", "收盘": "close", "成交量": "volume", "成交额": "amount"}
_BARS_EXTRA = {"涨跌幅": "pct_chg", "换手率": "turn", "涨跌额": "change"}
# stock_value_em (Eastmoney valuation analysis). 市现率 there is price / operating cash flow (TTM),
# where baostock's pcfNcfTTM uses net cash flow: the same column, a different definition.
_VALUATION = dict(zip(["PE(TTM)", "市净率", "市销率", "市现率"], VALUATION_COLUMNS, strict=True))
# stock_financial_analysis_indicator (Sina financial ratios): percentages become fractions.
_PERCENT = {
    "净资产收益率(%)": "roe",
    "主营业务收入增长率(%)": "op_income_growth_yoy",
    "净利润增长率(%)": "net_profit_growth_yoy",
    "销售毛利率(%)": "gross_profit_margin",
    "销售净利率(%)": "net_margin",
    "资产负债率(%)": "debt_asset_ratio",
}
_PLAIN = {
    "加权每股收益(元)": "basic_eps",
    "扣除非经常性损益后的每股收益(元)": "deducted_eps",
    "每股净资产_调整前(元)": "bps",
    "每股经营性现金流(元)": "op_cash_flow_ps",
    "扣除非经常性损益后的净利润(元)": "deducted_net_profit",
    "流动比率": "current_ratio",
    "速动比率": "quick_ratio",
}
# stock_zh_index_daily_em: date, open, close, high, low, volume, amount (already English).
# macro_china_shibor_all: the day's fixing of each tenor, in percent.
_SHIBOR = dict(zip(["O/N-定价", "1W-定价", "1M-定价", "3M-定价", "1Y-定价"], MACRO_COLUMNS, strict=True))


def bars_from_hist(raw: pd.DataFrame) -> pd.DataFrame:
    """``stock_zh_a_hist`` output as ``BAR_COLUMNS``."""
    frame = numeric(dated(raw, "日期"), [*_BARS, *_BARS_EXTRA]).rename(columns={**_BARS, **_BARS_EXTRA})
    frame["volume"] = frame["volume"] * 100.0
    # The day's change was measured from the exchange's reference price: close - change is it.
    frame["preclose"] = frame["close"] - frame["change"]
    return bar_frame(frame)


class AkshareProvider:
    """A-share data from akshare through its blocking calls (the fetcher holds each part to its deadline).

    Parameters
    ----------
    module
        The akshare module, or a stand-in with the same functions (tests); imported lazily if None.
    call_timeout_s
        The longest the peers' bars, fetched at once, are waited for; a peer later than that is left out.
    lookback_days
        How much daily history to ask for (enough for a 200-day average and 3 years of valuation).
    peer_count, peer_lookback_days
        How many same-industry stocks to compare against (the most traded), and over how long.
    """

    name = "akshare"
    remote = True

    def __init__(
        self,
        module: Any = None,
        *,
        call_timeout_s: float = 8.0,
        lookback_days: int = 1500,
        peer_count: int = 5,
        peer_lookback_days: int = 400,
    ) -> None:
        self._ak = LazyModule("akshare", module)
        self._timeout = call_timeout_s
        self._lookback = lookback_days
        self._peer_count = peer_count
        self._peer_lookback = peer_lookback_days

    def _call(self, function: str, **kwargs: Any) -> pd.DataFrame:
        return nonempty(getattr(self._ak.get(), function)(**kwargs), f"akshare.{function}")

    def _hist(self, symbol: str, first: dt.date, last: dt.date) -> pd.DataFrame:
        raw = self._call(
            "stock_zh_a_hist",
            symbol=code_of(symbol),
            period="daily",
            start_date=ymd(first),
            end_date=ymd(last),
            adjust="",
        )
        return between(bars_from_hist(raw), first, last)

    def daily_bars(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        return self._hist(symbol, *window(end, self._lookback))

    def valuation(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        first, last = window(end, self._lookback)
        raw = self._call("stock_value_em", symbol=code_of(symbol))
        frame = numeric(dated(raw, "数据日期"), list(_VALUATION)).rename(columns=_VALUATION)
        return between(frame.reindex(columns=VALUATION_COLUMNS), first, last)

    def fundamentals(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        first, last = window(end, self._lookback)
        raw = self._call("stock_financial_analysis_indicator", symbol=code_of(symbol), start_year=str(first.year))
        frame = numeric(dated(raw, "日期", name="report_date"), [*_PERCENT, *_PLAIN])
        frame = frame.rename(columns={**_PERCENT, **_PLAIN})
        for column in _PERCENT.values():
            if column in frame:
                frame[column] = frame[column] / 100.0
        frame["report_period"] = [period_of(d) for d in frame.index]
        # Sina gives no announcement dates: a report counts from its statutory deadline.
        frame["published_by"] = published_by(frame["report_period"], frame.index)
        return frame[frame["published_by"] <= pd.Timestamp(last)]

    def index_bars(self, end: dt.date | None) -> pd.DataFrame:
        first, last = window(end, self._lookback)
        raw = self._call("stock_zh_index_daily_em", symbol=CSI300, start_date=ymd(first), end_date=ymd(last))
        return between(numeric(dated(raw, "date"), PRICE_COLUMNS).reindex(columns=PRICE_COLUMNS), first, last)

    def profile(self, symbol: str, end: dt.date | None) -> Profile:
        # Eastmoney's company page: the current name (not the one at ``end``) and its industry board.
        raw = self._call("stock_individual_info_em", symbol=code_of(symbol))
        info = dict(zip(raw["item"].astype(str), raw["value"], strict=True))
        name = str(info.get("股票简称") or "").strip()
        if not name:
            raise PartUnavailable(f"akshare has no name for {symbol}")
        industry = str(info.get("行业") or "").strip() or None
        return Profile(name=name, industry=industry)

    def peers(self, symbol: str, end: dt.date | None) -> dict[str, pd.Series]:
        industry = self.profile(symbol, end).industry
        if industry is None:
            raise PartUnavailable(f"akshare has no industry for {symbol}")
        members = numeric(self._call("stock_board_industry_cons_em", symbol=industry), ["成交额"])
        members = members[members["代码"].astype(str) != code_of(symbol)]
        chosen = [normalize_symbol(str(c).zfill(6)) for c in members.nlargest(self._peer_count, "成交额")["代码"]]
        first, last = window(end, self._peer_lookback)
        fetched = fan_out([partial(self._hist, s, first, last) for s in chosen], self._timeout)
        bars = {s: f for s, f in zip(chosen, fetched, strict=True) if isinstance(f, pd.DataFrame)}
        if not bars:
            raise PartUnavailable(f"akshare: no bars for the peers of {symbol} in {industry}")
        return adjusted_closes(bars)

    def universe(self, end: dt.date | None) -> dict[str, pd.Series]:
        raise PartUnavailable("akshare: the whole-market universe is not fetched (thousands of calls)")

    def macro(self, end: dt.date | None) -> pd.DataFrame:
        first, last = window(end, self._lookback)
        raw = self._call("macro_china_shibor_all")
        frame = numeric(dated(raw, "日期"), list(_SHIBOR)).rename(columns=_SHIBOR)
        return between(frame.reindex(columns=MACRO_COLUMNS), first, last)
