"""The tushare provider against a fake pro client answering in tushare's documented fields and units."""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading

import pandas as pd
import pytest

from investmind.market.base import BAR_COLUMNS, MACRO_COLUMNS, PartUnavailable
from investmind.market.bundled import BundledProvider
from investmind.market.parts import PartFetcher, PartRequest
from investmind.market.providers.common import SourceError
from investmind.market.providers.tushare import TushareProvider
from investmind.settings import Settings

from .fake_libraries import FakeTusharePro
from .fakes import baostock

D = dt.date
TOKEN = "f00dfeedcafe0123456789abcdef0123456789abcdef0123456789ab"


@pytest.fixture
def pro() -> FakeTusharePro:
    return FakeTusharePro()


@pytest.fixture
def provider(pro: FakeTusharePro) -> TushareProvider:
    def connect(token: str) -> FakeTusharePro:
        pro.token = token
        return pro

    return TushareProvider(lambda: TOKEN, api_factory=connect, call_timeout_s=5)


def test_tushare_daily_bars_units_and_turnover(provider, pro) -> None:
    bars = provider.daily_bars("600519.SH", D(2020, 1, 6))

    assert pro.token == TOKEN
    assert list(bars.columns) == BAR_COLUMNS and bars.index.is_monotonic_increasing  # tushare: newest first
    row = bars.loc["2020-01-02"]
    assert (row["open"], row["close"], row["preclose"]) == (1128.0, 1130.0, 1183.0)
    assert row["volume"] == pytest.approx(14809916.0)  # vol in lots of 100 shares
    assert row["amount"] == pytest.approx(16696837095.0)  # amount in thousands of yuan
    assert row["turn"] == 1.1789  # from daily_basic
    assert bars.index[-1] == pd.Timestamp("2020-01-06")


def test_tushare_daily_bars_without_daily_basic_lack_turnover_only(provider, pro) -> None:
    pro.fail["daily_basic"] = RuntimeError("抱歉，您没有访问该接口的权限")

    bars = provider.daily_bars("600519.SH", D(2020, 1, 6))

    assert bars["turn"].isna().all() and bars["close"].notna().all()


def test_tushare_daily_bars_without_a_timely_daily_basic_lack_turnover_only(pro) -> None:
    pro.block["daily_basic"] = threading.Event()
    provider = TushareProvider(lambda: TOKEN, api_factory=lambda _: pro, call_timeout_s=0.2)
    try:
        bars = provider.daily_bars("600519.SH", D(2020, 1, 6))
    finally:
        pro.block["daily_basic"].set()

    assert bars["turn"].isna().all() and bars["close"].notna().all()
    assert bars.index[-1] == pd.Timestamp("2020-01-06")


def test_tushare_valuation_has_no_pcf_rather_than_a_guess(provider) -> None:
    valuation = provider.valuation("000858.SZ", D(2020, 1, 3))

    last = valuation.iloc[-1]
    assert (last["pe_ttm"], last["pb_mrq"], last["ps_ttm"]) == (30.836261, 7.298412, 10.583285)
    assert math.isnan(last["pcf_ttm"])


def test_tushare_fundamentals_published_by_announcement_and_latest_restatement(provider, pro) -> None:
    original = pro.fina_indicator

    def restated(**kwargs):
        frame = original(**kwargs)
        stale = frame.iloc[[0]].assign(update_flag="0", roe=99.0)  # the pre-restatement version
        return pd.concat([stale, frame]).reset_index(drop=True)

    pro.fina_indicator = restated
    reports = provider.fundamentals("601318.SH", D(2020, 5, 1))

    latest = reports.loc["2020-03-31"]
    assert latest["published_by"] == pd.Timestamp("2020-04-25")  # the fake announces 25 days after period end
    assert latest["roe"] == pytest.approx(0.038) and latest["report_period"] == "season1"
    assert (provider.fundamentals("601318.SH", D(2020, 4, 24))).index[-1] == pd.Timestamp("2019-12-31")


def test_tushare_index_profile_peers_macro(provider, pro) -> None:
    index = provider.index_bars(D(2020, 1, 3))
    profile = provider.profile("600519.SH", D(2021, 3, 1))
    peers = provider.peers("600519.SH", D(2021, 3, 1))
    macro = provider.macro(D(2020, 1, 3))

    assert index.loc["2020-01-02", "close"] == 4152.24
    assert index.loc["2020-01-02", "volume"] == pytest.approx(182116772.0)  # lots, like the bundled CSI 300
    assert (profile.name, profile.industry) == ("贵州茅台", "白酒")
    assert set(peers) == {"000858.SZ"}  # same industry, ranked by market value; 000568 has no data here
    assert peers["000858.SZ"].iloc[-1] == baostock("sz.000858").loc["2021-03-01", "close"]
    assert list(macro.columns) == MACRO_COLUMNS and macro.iloc[-1]["shibor_1y"] == 3.0
    with pytest.raises(PartUnavailable):
        provider.universe(D(2021, 3, 1))


def test_tushare_without_token_is_unavailable_and_never_connects() -> None:
    connected = []
    provider = TushareProvider(lambda: "", api_factory=connected.append)

    with pytest.raises(PartUnavailable, match="no tushare token"):
        provider.daily_bars("600519.SH", D(2021, 3, 1))
    assert connected == []


def test_tushare_missing_parameter_is_unavailable() -> None:
    def token() -> str:
        raise LookupError("no SSM parameter 'investmind-tushare-token'")

    provider = TushareProvider(token, api_factory=FakeTusharePro)

    with pytest.raises(PartUnavailable, match="no SSM parameter"):
        provider.profile("600519.SH", None)


def test_tushare_token_never_reaches_logs_or_reasons(provider, pro, caplog) -> None:
    # GIVEN a client error that echoes the request, token included
    pro.fail["daily"] = RuntimeError(f"bad request: {{'token': '{TOKEN}', 'api_name': 'daily'}}")
    caplog.set_level(logging.DEBUG)
    fetcher = PartFetcher([provider, BundledProvider()])

    # WHEN the chain fetches the bars
    result = fetcher.fetch(PartRequest("bars", "600519.SH", D(2021, 3, 1)))

    # THEN bundled answers and the token appears nowhere
    assert result.source == "bundled"
    assert "***" in result.failures[0].reason and TOKEN not in result.failures[0].reason
    assert all(TOKEN not in record.getMessage() and TOKEN not in str(record.__dict__) for record in caplog.records)
    assert TOKEN not in repr(provider)
    assert TOKEN not in repr(Settings(tushare_token=TOKEN))


def test_tushare_source_error_is_not_chained_to_the_original(provider, pro) -> None:
    pro.fail["stock_basic"] = RuntimeError(TOKEN)

    with pytest.raises(SourceError) as raised:
        provider.profile("600519.SH", None)

    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert TOKEN not in str(raised.value)


def test_chain_tushare_timeout_then_next_provider(pro) -> None:
    pro.block["daily"] = threading.Event()
    bundled = BundledProvider()
    bundled.index_bars(None)  # the bundled files read already: the first read takes longer than the deadline
    fetcher = PartFetcher([TushareProvider(lambda: TOKEN, api_factory=lambda _: pro), bundled], timeout_s=0.2)
    try:
        result = fetcher.fetch(PartRequest("bars", "000858.SZ", D(2021, 3, 1)))
    finally:
        pro.block["daily"].set()

    assert result.source == "bundled" and result.failures[0].reason == "tushare: no answer in 0.2s"


def test_chain_tushare_empty_frame_then_next_provider(pro) -> None:
    pro.empty.add("index_daily")
    fetcher = PartFetcher([TushareProvider(lambda: TOKEN, api_factory=lambda _: pro), BundledProvider()])

    result = fetcher.fetch(PartRequest("index_bars", None, D(2021, 3, 1)))

    assert result.source == "bundled"
    assert result.failures[0].reason == "tushare: tushare.index_daily returned no rows"
