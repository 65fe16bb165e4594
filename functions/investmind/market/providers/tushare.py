"""The tushare provider: tushare pro's HTTP API through its (sync) client, with a token never logged.

Fields and units follow tushare's documentation: ``vol`` in lots of 100 shares, ``amount`` in
thousands of yuan, ratios in percent, dates as ``YYYYMMDD`` strings, newest row first.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pandas as pd

from ..base import MACRO_COLUMNS, PRICE_COLUMNS, PartUnavailable, Profile
from ..frames import dated, numeric
from ..reports import period_of, published_by
from .common import LazyModule, SourceError, adjusted_closes, bar_frame, between, fan_out, nonempty, window, ymd

CSI300 = "000300.SH"
TUSHARE_URL = "https://api.waditu.com/dataapi"
"""tushare pro's endpoint over TLS: the client's default is plain http, and every request carries the token."""
_YMD = "%Y%m%d"
_PERCENT = {
    "roe": "roe",
    "roe_dt": "deducted_roe",
    "grossprofit_margin": "gross_profit_margin",
    "netprofit_margin": "net_margin",
    "debt_to_assets": "debt_asset_ratio",
    "netprofit_yoy": "net_profit_growth_yoy",
    "or_yoy": "op_income_growth_yoy",
}
_PLAIN = {
    "eps": "basic_eps",
    "bps": "bps",
    "ocfps": "op_cash_flow_ps",
    "profit_dedt": "deducted_net_profit",
    "current_ratio": "current_ratio",
    "quick_ratio": "quick_ratio",
}
_SHIBOR = dict(zip(["on", "1w", "1m", "3m", "1y"], MACRO_COLUMNS, strict=True))


def bars_from_daily(raw: pd.DataFrame, basic: pd.DataFrame | None = None) -> pd.DataFrame:
    """``pro.daily`` (and ``daily_basic``'s turnover, when given) as ``BAR_COLUMNS``."""
    frame = numeric(dated(raw, "trade_date", _YMD), ["open", "high", "low", "close", "pre_close", "pct_chg", "vol"])
    frame = numeric(frame, ["amount"])
    frame["volume"] = frame["vol"] * 100.0
    frame["amount"] = frame["amount"] * 1000.0
    frame["preclose"] = frame["pre_close"]  # the ex-rights previous close ("昨收价【除权价】")
    if basic is not None and len(basic):
        turnover = numeric(dated(basic, "trade_date", _YMD), ["turnover_rate"])["turnover_rate"]
        frame["turn"] = turnover.reindex(frame.index)
    return bar_frame(frame)


def pro_api_over_https(tushare: Any, token: str) -> Any:
    """``tushare.pro_api(token)``, sending to :data:`TUSHARE_URL` instead of the client's ``http://`` default.

    ``DataApi`` keeps its URL in a class-private attribute (``__http_url``) with no setter: it is set on the
    instance, and a client that no longer has that attribute is refused rather than left on plain HTTP.
    """
    api = tushare.pro_api(token)
    attribute = f"_{type(api).__name__}__http_url"
    if not str(getattr(api, attribute, "")).startswith(("http://", "https://")):
        raise PartUnavailable(f"tushare {getattr(tushare, '__version__', '?')}: cannot set its endpoint to https")
    setattr(api, attribute, TUSHARE_URL)
    return api


class TushareProvider:
    """A-share data from tushare pro (needs a token; some interfaces need account points).

    Parameters
    ----------
    token
        Returns the token: from ``INVESTMIND_TUSHARE_TOKEN``, or read from SSM / Secrets Manager on
        first use. Called once it succeeds (under a lock: threads asking at once connect once).
    api_factory
        Builds the client from the token (:func:`pro_api_over_https` by default; tests pass a fake).
    call_timeout_s
        The longest the calls a part makes at once (``daily`` and ``daily_basic``) are waited for.
    """

    name = "tushare"
    remote = True

    def __init__(
        self,
        token: Callable[[], str],
        *,
        api_factory: Callable[[str], Any] | None = None,
        call_timeout_s: float = 8.0,
        lookback_days: int = 1500,
        peer_count: int = 5,
        peer_lookback_days: int = 400,
    ) -> None:
        self._token_source = token
        self._factory = api_factory
        self._ts = LazyModule("tushare")
        self._api: Any = None
        self._secret = ""
        self._lock = threading.Lock()
        self._timeout = call_timeout_s
        self._lookback = lookback_days
        self._peer_count = peer_count
        self._peer_lookback = peer_lookback_days

    def __repr__(self) -> str:
        return "TushareProvider()"  # never the token

    def _connect(self, factory: Callable[[str], Any]) -> Any:
        with self._lock:
            if self._api is None:
                try:
                    token = self._token_source()
                except LookupError as exc:
                    raise PartUnavailable(f"no tushare token: {exc}") from None
                if not token:
                    raise PartUnavailable("no tushare token (INVESTMIND_TUSHARE_TOKEN or its SSM parameter)")
                self._api, self._secret = factory(token), token
            return self._api

    def _pro(self) -> Any:
        if self._api is not None:
            return self._api
        return self._connect(self._factory or partial(pro_api_over_https, self._ts.get()))

    def _call(self, method: str, **kwargs: Any) -> pd.DataFrame:
        pro = self._pro()
        try:
            frame = getattr(pro, method)(**kwargs)
        except (TimeoutError, PartUnavailable):
            raise
        except Exception as exc:
            # Dropped from the chain (from None) and redacted: a client error may echo the request.
            message = f"{type(exc).__name__}: {exc}"
            raise SourceError(message.replace(self._secret, "***") if self._secret else message) from None
        return nonempty(frame, f"tushare.{method}")

    def _daily(self, ts_code: str, first: dt.date, last: dt.date) -> pd.DataFrame:
        return self._call("daily", ts_code=ts_code, start_date=ymd(first), end_date=ymd(last))

    def daily_bars(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        first, last = window(end, self._lookback)
        fields = "ts_code,trade_date,turnover_rate"
        basic_call = partial(
            self._call, "daily_basic", ts_code=symbol, start_date=ymd(first), end_date=ymd(last), fields=fields
        )
        daily, basic = fan_out([partial(self._daily, symbol, first, last), basic_call], self._timeout)
        if isinstance(daily, Exception):
            raise daily
        # daily_basic needs more account points than daily: without it the bars lack turnover only.
        return bars_from_daily(daily, basic if isinstance(basic, pd.DataFrame) else None)

    def valuation(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        first, last = window(end, self._lookback)
        fields = "ts_code,trade_date,pe_ttm,pb,ps_ttm"
        raw = self._call("daily_basic", ts_code=symbol, start_date=ymd(first), end_date=ymd(last), fields=fields)
        frame = numeric(dated(raw, "trade_date", _YMD), ["pe_ttm", "pb", "ps_ttm"])
        # tushare has no price/cash-flow ratio: pcf_ttm stays empty rather than guessed.
        return frame.rename(columns={"pb": "pb_mrq"}).reindex(columns=["pe_ttm", "pb_mrq", "ps_ttm", "pcf_ttm"])

    def fundamentals(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        first, last = window(end, self._lookback)
        raw = self._call("fina_indicator", ts_code=symbol, start_date=ymd(first), end_date=ymd(last))
        if "update_flag" in raw:  # a restated report comes twice: keep the latest version (flag 1)
            raw = raw.sort_values("update_flag", kind="stable")
        frame = numeric(dated(raw, "end_date", _YMD, name="report_date"), [*_PERCENT, *_PLAIN])
        frame = frame.rename(columns={**_PERCENT, **_PLAIN})
        for column in _PERCENT.values():
            if column in frame:
                frame[column] = frame[column] / 100.0
        frame["report_period"] = [period_of(d) for d in frame.index]
        announced = pd.to_datetime(frame.get("ann_date", pd.Series(index=frame.index)), format=_YMD, errors="coerce")
        deadline = pd.Series(published_by(frame["report_period"], frame.index), index=frame.index)
        frame["published_by"] = announced.fillna(deadline)  # the announcement date where tushare has it
        return frame[frame["published_by"] <= pd.Timestamp(last)]

    def index_bars(self, end: dt.date | None) -> pd.DataFrame:
        first, last = window(end, self._lookback)
        raw = self._call("index_daily", ts_code=CSI300, start_date=ymd(first), end_date=ymd(last))
        frame = bars_from_daily(raw).reindex(columns=PRICE_COLUMNS)
        frame["volume"] = frame["volume"] / 100.0  # an index's volume stays in lots, as Eastmoney counts it too
        return frame

    def profile(self, symbol: str, end: dt.date | None) -> Profile:
        raw = self._call("stock_basic", ts_code=symbol, fields="ts_code,name,industry")
        row = raw.iloc[0]
        industry = row.get("industry")
        return Profile(name=str(row["name"]), industry=industry if isinstance(industry, str) and industry else None)

    def peers(self, symbol: str, end: dt.date | None) -> dict[str, pd.Series]:
        industry = self.profile(symbol, end).industry
        if industry is None:
            raise PartUnavailable(f"tushare has no industry for {symbol}")
        listed = self._call("stock_basic", fields="ts_code,name,industry")
        members = [str(c) for c in listed.loc[listed["industry"] == industry, "ts_code"] if str(c) != symbol]
        if not members:
            raise PartUnavailable(f"tushare lists no other stock in {industry}")
        first, last = window(end, self._peer_lookback)
        chosen = self._largest(members, last)
        raw = self._daily(",".join(chosen), first, last)
        bars = {code: bars_from_daily(rows) for code, rows in raw.groupby("ts_code", sort=False)}
        return adjusted_closes({s: between(f, first, last) for s, f in bars.items()})

    def _largest(self, members: list[str], last: dt.date) -> list[str]:
        """The ``peer_count`` members with the largest market value in the last two weeks to ``last``."""
        sizes = self._call(
            "daily_basic",
            ts_code=",".join(members),
            start_date=ymd(last - dt.timedelta(days=14)),
            end_date=ymd(last),
            fields="ts_code,trade_date,total_mv",
        )
        latest = numeric(sizes.sort_values("trade_date"), ["total_mv"]).groupby("ts_code")["total_mv"].last()
        return [str(c) for c in latest.nlargest(self._peer_count).index]

    def universe(self, end: dt.date | None) -> dict[str, pd.Series]:
        raise PartUnavailable("tushare: the whole-market universe is not fetched")

    def macro(self, end: dt.date | None) -> pd.DataFrame:
        first, last = window(end, self._lookback)
        raw = self._call("shibor", start_date=ymd(first), end_date=ymd(last))
        frame = numeric(dated(raw, "date", _YMD), list(_SHIBOR)).rename(columns=_SHIBOR)
        return frame.reindex(columns=MACRO_COLUMNS)
