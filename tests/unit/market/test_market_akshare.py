"""The akshare provider against a fake of the library that answers in akshare's documented shapes."""

from __future__ import annotations

import datetime as dt
import math
import subprocess
import sys
import threading

import pandas as pd
import pytest

from investmind.market import bundled_store
from investmind.market.base import BAR_COLUMNS, MACRO_COLUMNS, VALUATION_COLUMNS, PartUnavailable
from investmind.market.bundled import BundledProvider
from investmind.market.parts import PartFetcher, PartRequest
from investmind.market.providers.akshare import AkshareProvider

from .fake_libraries import FakeAkshare
from .fakes import baostock

D = dt.date


@pytest.fixture
def ak() -> FakeAkshare:
    return FakeAkshare()


@pytest.fixture
def provider(ak: FakeAkshare) -> AkshareProvider:
    return AkshareProvider(ak, call_timeout_s=5)


def test_akshare_daily_bars_converts_lots_and_derives_preclose(provider, ak) -> None:
    bars = provider.daily_bars("600519.SH", D(2020, 1, 6))

    assert list(bars.columns) == BAR_COLUMNS and bars.index.name == "date"
    assert bars.index[-1] == pd.Timestamp("2020-01-06") and bars.index.is_monotonic_increasing
    row = bars.loc["2020-01-03"]
    assert (row["open"], row["high"], row["low"], row["close"]) == (1117.0, 1117.0, 1076.9, 1078.56)
    assert row["volume"] == 130319 * 100  # Eastmoney counts lots of 100 shares
    assert row["preclose"] == pytest.approx(1130.0)  # close - change: the price the change was measured from
    assert (row["pct_chg"], row["turn"]) == (-4.55, 1.04)
    name, kwargs = ak.calls[-1]
    assert name == "stock_zh_a_hist" and kwargs["adjust"] == "" and kwargs["end_date"] == "20200106"


def test_akshare_valuation_reads_pe_by_name(provider) -> None:
    valuation = provider.valuation("600519.SH", D(2020, 1, 2))

    assert list(valuation.columns) == VALUATION_COLUMNS
    assert valuation.iloc[-1].to_dict() == {
        "pe_ttm": 34.685547,
        "pb_mrq": 11.332618,
        "ps_ttm": 16.556143,
        "pcf_ttm": 76.567282,
    }
    assert valuation.index[-1] == pd.Timestamp("2020-01-02")  # stock_value_em returns all history: cut


def test_akshare_fundamentals_percent_to_fraction_and_statutory_deadline(provider) -> None:
    before = provider.fundamentals("601318.SH", D(2020, 4, 29))
    after = provider.fundamentals("601318.SH", D(2020, 4, 30))

    assert before.index[-1] == pd.Timestamp("2019-09-30")  # the 2019 annual report is due by 30 April
    latest = after.loc["2020-03-31"]
    assert latest["report_period"] == "season1" and latest["published_by"] == pd.Timestamp("2020-04-30")
    assert latest["roe"] == pytest.approx(0.038) and latest["net_profit_growth_yoy"] == pytest.approx(-0.4274)
    assert math.isnan(latest["current_ratio"])  # Sina's "--" is no value, never zero


def test_akshare_index_bars_by_column_name(provider, ak) -> None:
    index = provider.index_bars(D(2020, 1, 3))

    assert index.loc["2020-01-02"].to_dict() == {
        "open": 4121.35,
        "high": 4172.66,
        "low": 4121.35,
        "close": 4152.24,
        "volume": 182116772.0,
        "amount": 270105530368.0,
    }
    assert ak.calls[-1][1]["symbol"] == "sh000300"


def test_akshare_profile_and_peers_most_traded_of_the_board(provider, ak) -> None:
    profile = provider.profile("600519.SH", D(2021, 3, 1))
    peers = provider.peers("600519.SH", D(2021, 3, 1))

    assert (profile.name, profile.industry) == ("贵州茅台", "酿酒行业")
    # 000568 is in the board but the fake has no bars for it: left out, not invented.
    assert set(peers) == {"000858.SZ"}
    close = peers["000858.SZ"]
    assert close.index[-1] == pd.Timestamp("2021-03-01")
    assert close.iloc[-1] == baostock("sz.000858").loc["2021-03-01", "close"]
    assert ("stock_board_industry_cons_em", {"symbol": "酿酒行业"}) in ak.calls


def test_akshare_peer_later_than_the_call_timeout_is_left_out(ak) -> None:
    # GIVEN the one peer with data (000858; 000568 has none) answers only when released
    release, entered, returned, hist = threading.Event(), threading.Event(), threading.Event(), ak.stock_zh_a_hist

    def slow_for_one(**kwargs):
        if kwargs["symbol"] == "000858":
            entered.set()
            release.wait(10)
            returned.set()
        return hist(**kwargs)

    ak.stock_zh_a_hist = slow_for_one
    try:
        # WHEN the peers are fetched with a short call timeout
        with pytest.raises(PartUnavailable, match="no bars for the peers of 600519.SH"):
            AkshareProvider(ak, call_timeout_s=0.2).peers("600519.SH", D(2021, 3, 1))
        # THEN the late peer was asked, and left out rather than waited for: it is still blocked
        assert entered.is_set() and not returned.is_set()
    finally:
        release.set()


def test_akshare_universe_not_served(provider) -> None:
    with pytest.raises(PartUnavailable, match="universe"):
        provider.universe(D(2021, 3, 1))


def test_akshare_macro_shibor_fixings(provider) -> None:
    macro = provider.macro(D(2020, 2, 3))

    assert list(macro.columns) == MACRO_COLUMNS
    assert macro.index[-1] == pd.Timestamp("2020-02-03")
    assert macro.iloc[-1].to_dict() == dict(zip(MACRO_COLUMNS, [1.5, 2.2, 2.6, 2.8, 3.0], strict=True))


def test_akshare_empty_frame_is_unavailable(provider, ak) -> None:
    ak.empty.add("stock_zh_a_hist")

    with pytest.raises(PartUnavailable, match="stock_zh_a_hist returned no rows"):
        provider.daily_bars("600519.SH", D(2021, 3, 1))


def test_chain_akshare_timeout_falls_back_to_bundled(ak) -> None:
    # GIVEN akshare's call hangs (a thread cannot be killed: the event releases it at the end), and
    # the bundled files are read already (the first read takes longer than this test's deadline)
    ak.block["stock_zh_a_hist"] = threading.Event()
    bundled_store.store()  # the bundled data parsed beforehand: its first load takes longer than 0.2 s
    fetcher = PartFetcher([AkshareProvider(ak, call_timeout_s=0.2), BundledProvider()], timeout_s=0.2)
    try:
        # WHEN the bars are fetched through the chain
        result = fetcher.fetch(PartRequest("bars", "600519.SH", D(2021, 3, 1)))
    finally:
        ak.block["stock_zh_a_hist"].set()

    # THEN bundled answers, and why akshare did not is on record
    assert result.source == "bundled" and not result.stale
    assert [(f.provider, f.reason, f.transient) for f in result.failures] == [
        ("akshare", "akshare: no answer in 0.2s", True)
    ]


def test_chain_akshare_exception_falls_back_and_is_recorded(ak) -> None:
    ak.fail["stock_value_em"] = ConnectionError("Connection reset by peer")
    fetcher = PartFetcher([AkshareProvider(ak), BundledProvider()])

    result = fetcher.fetch(PartRequest("valuation", "600519.SH", D(2021, 3, 1)))

    assert result.source == "bundled"
    assert result.failures[0].reason == "akshare: ConnectionError: Connection reset by peer"
    assert result.failures[0].transient


def test_chain_akshare_empty_frame_falls_back_as_not_transient(ak) -> None:
    ak.empty.add("stock_zh_index_daily_em")
    fetcher = PartFetcher([AkshareProvider(ak), BundledProvider()])

    result = fetcher.fetch(PartRequest("index_bars", None, D(2021, 3, 1)))

    assert result.source == "bundled" and result.value.index[-1] == pd.Timestamp("2021-03-01")
    assert not result.failures[0].transient


def test_akshare_not_installed_says_how_to_install() -> None:
    provider = AkshareProvider()  # imports akshare on first use; this environment does not have it

    try:
        import akshare  # noqa: F401
    except ImportError:
        with pytest.raises(
            PartUnavailable, match=r"akshare is not installed \(pip install 'investmind\[providers\]'\)"
        ):
            provider.daily_bars("600519.SH", D(2021, 3, 1))
    else:
        pytest.skip("akshare is installed here")


def test_akshare_provider_import_does_not_import_akshare() -> None:
    code = (
        "import sys, investmind.market.providers.akshare, investmind.market.providers.tushare; "
        "assert 'akshare' not in sys.modules and 'tushare' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
