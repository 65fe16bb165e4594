"""The baostock provider against recorded frames (``fake_baostock``): its mapping checked against the bundled truth.

The bundled 2020-2025 bars are baostock's own rows, so the provider fed the rows baostock sent must give
back exactly what the bundled provider reads from them; the other parts are checked the same way
against the bundled reports, index, industries and money supply they were recorded from.
"""

from __future__ import annotations

import datetime as dt
import threading

import pandas as pd
import pytest

from investmind.market.adjust import adjusted_close
from investmind.market.base import BAR_COLUMNS, MACRO_PART_COLUMNS, PRICE_COLUMNS, VALUATION_COLUMNS, PartUnavailable
from investmind.market.bundled import DATA_DIR, BundledProvider
from investmind.market.bundled_store import store
from investmind.market.factory import MarketConfig, build_market
from investmind.market.providers.baostock import BaostockProvider, SourceError

from .fake_baostock import FakeBaostock

D = dt.date


@pytest.fixture
def bs() -> FakeBaostock:
    return FakeBaostock()


@pytest.fixture
def provider(bs: FakeBaostock) -> BaostockProvider:
    return BaostockProvider(bs)


@pytest.fixture(scope="module")
def bundled() -> BundledProvider:
    return BundledProvider()


@pytest.mark.parametrize(("symbol", "end"), [("600036.SH", D(2023, 6, 30)), ("300750.SZ", D(2021, 11, 15))])
def test_baostock_bars_are_the_bundled_bars_baostock_sent(provider, bs, bundled, symbol, end) -> None:
    bars = provider.daily_bars(symbol, end)

    truth = bundled.daily_bars(symbol, end).loc[bars.index[0] :]
    assert list(bars.columns) == BAR_COLUMNS and bars.index.name == "date"
    pd.testing.assert_frame_equal(bars, truth[BAR_COLUMNS], check_freq=False)
    assert (bars["source_adjusted"] == 0).all()  # traded prices: levels may be quoted as they are
    name, kwargs = next(c for c in bs.calls if c[0] == "query_history_k_data_plus")
    assert kwargs["adjustflag"] == "3" and kwargs["end_date"] == end.isoformat()
    assert kwargs["code"] == f"{symbol[-2:].lower()}.{symbol[:6]}"


def test_baostock_bars_leave_out_suspended_days(provider) -> None:
    # 600900 was suspended on 11 days of 2020-2025 (tradestatus 0: no volume, the close carried over)
    raw = pd.read_csv(DATA_DIR / "cn_daily_61_2020_2025.csv.gz", parse_dates=["date"]).query("code == 'sh.600900'")
    halted = pd.DatetimeIndex(raw.loc[raw["tradestatus"] == 0, "date"])
    first = pd.Timestamp("2025-04-07") - pd.Timedelta(days=1500)

    bars = provider.daily_bars("600900.SH", D(2025, 4, 7))

    assert halted[halted >= first].size > 0 and not bars.index.isin(halted).any()
    assert len(bars) == ((raw["tradestatus"] == 1) & (raw["date"] >= first)).sum()


def test_baostock_ex_date_factor_gives_a_missing_preclose(provider, bs, bundled) -> None:
    # GIVEN the ex-dividend day of 600000 (2020-07-23) sent without its reference price
    bs.edits[("sh.600000", "2020-07-23", "preclose")] = ""

    bars = provider.daily_bars("600000.SH", D(2020, 12, 31))

    # THEN the ex-date factors give it: the bundled (baostock) 11.02, not the day before's close 11.62
    truth = bundled.daily_bars("600000.SH", D(2020, 12, 31))
    assert bars.loc["2020-07-23", "preclose"] == pytest.approx(11.02, abs=0.005)
    assert truth.loc["2020-07-22", "close"] == pytest.approx(11.62)
    cut = truth.loc[bars.index[0] :]
    pd.testing.assert_series_equal(adjusted_close(bars), adjusted_close(cut), rtol=1e-6, check_freq=False)


def test_baostock_bars_without_the_factors_keep_the_bars_own_preclose(provider, bs, bundled) -> None:
    bs.errors["query_adjust_factor"] = ("10002007", "网络接收错误")

    bars = provider.daily_bars("600000.SH", D(2020, 12, 31))

    assert (
        bars.loc["2020-07-23", "preclose"]
        == bundled.daily_bars("600000.SH", D(2020, 12, 31)).loc["2020-07-23", "preclose"]
    )


def test_baostock_valuation_is_the_bundled_valuation(provider, bundled) -> None:
    valuation = provider.valuation("601012.SH", D(2024, 3, 29))

    assert list(valuation.columns) == VALUATION_COLUMNS
    truth = bundled.valuation("601012.SH", D(2024, 3, 29)).loc[valuation.index[0] :]
    common = valuation.index.intersection(truth.index)  # the bundled valuation skips suspended days
    assert len(common) > 900
    pd.testing.assert_frame_equal(valuation.loc[common], truth.loc[common], check_freq=False)


def test_baostock_fundamentals_latest_report_public_by_the_date_no_later(provider, bs) -> None:
    reports = store().fundamentals["000001.SZ"]

    # On 2019-04-15 the 2019 Q1 and the 2018 annual reports are due by 30 April: not public yet
    report = provider.fundamentals("000001.SZ", D(2019, 4, 15))

    assert report.index.tolist() == [pd.Timestamp("2018-09-30")] and report["report_period"].iloc[0] == "season3"
    truth = reports.loc[pd.Timestamp("2018-09-30")]
    for column in ("roe", "net_margin", "net_profit", "net_profit_growth_yoy", "debt_asset_ratio"):
        assert report[column].iloc[0] == pytest.approx(truth[column], rel=1e-6), column
    assert report["published_by"].iloc[0] <= pd.Timestamp("2019-04-15")
    asked = [(k["year"], k["quarter"]) for n, k in bs.calls if n == "query_profit_data"]
    assert asked == [(2019, 1), (2018, 4), (2018, 3)]  # newest first, stopping at the first public one

    later = provider.fundamentals("000001.SZ", D(2019, 5, 6))
    assert later.index.tolist() == [pd.Timestamp("2019-03-31")]


def test_baostock_fundamentals_none_published_is_unavailable(provider) -> None:
    with pytest.raises(PartUnavailable, match="no report of 600036.SH published by 2021-06-30"):
        provider.fundamentals("600036.SH", D(2021, 6, 30))  # the bundled reports hold no 600036


def test_baostock_index_is_the_csi300_in_lots(provider, bundled) -> None:
    index = provider.index_bars(D(2022, 9, 30))

    assert list(index.columns) == PRICE_COLUMNS
    truth = bundled.index_bars(D(2022, 9, 30)).loc[index.index[0] :]
    pd.testing.assert_frame_equal(index, truth[PRICE_COLUMNS], check_freq=False, check_dtype=False)


def test_baostock_profile_and_peers_of_the_industry_csi300_first(bs, bundled) -> None:
    provider = BaostockProvider(bs, peer_count=3)

    profile = provider.profile("601166.SH", D(2022, 6, 30))
    peers = provider.peers("601166.SH", D(2022, 6, 30))

    assert (profile.name, profile.industry) == ("兴业银行", "银行")
    banks = sorted(
        s for s, info in store().bars.items() if s != "601166.SH" and bundled.profile(s, None).industry == "银行"
    )
    assert len(banks) > 3 and set(peers) <= set(banks) and len(peers) == 3
    truth = bundled.peers("601166.SH", D(2022, 6, 30))
    for symbol, closes in peers.items():
        expected = truth[symbol].loc[closes.index[0] :]
        pd.testing.assert_series_equal(closes, expected, rtol=1e-6, check_freq=False, check_names=False)


def test_baostock_profile_without_an_industry_row_names_the_stock(provider, bs) -> None:
    bs.empty.add("query_stock_industry")

    profile = provider.profile("600519.SH", D(2022, 6, 30))

    assert (profile.name, profile.industry) == ("贵州茅台", None)


def test_baostock_macro_money_supply_known_from_the_20th(provider) -> None:
    macro = provider.macro(D(2021, 3, 19))

    assert list(macro.columns) == MACRO_PART_COLUMNS
    m2 = macro["m2_yoy"].dropna()
    assert m2.index[-1] == pd.Timestamp("2021-02-20")  # January's; February's is public from 20 March only
    truth = store().macro["m2_yoy"].dropna().loc[m2.index[0] : pd.Timestamp("2021-03-19")]
    pd.testing.assert_series_equal(m2, truth, check_freq=False, check_names=False)
    assert macro["shibor_3m"].isna().all()  # baostock publishes no Shibor: left empty, never guessed


def test_baostock_universe_not_served_and_beijing_not_covered(provider) -> None:
    with pytest.raises(PartUnavailable, match="universe"):
        provider.universe(D(2022, 1, 4))
    with pytest.raises(PartUnavailable, match="no BJ stocks"):
        provider.daily_bars("830799.BJ", D(2022, 1, 4))


def test_baostock_logs_in_once_for_every_thread_and_again_when_the_session_expired(provider, bs) -> None:
    threads = [threading.Thread(target=provider.valuation, args=("600519.SH", D(2022, 1, 4))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert bs.logins == 1

    bs.session_expired = True
    provider.index_bars(D(2022, 1, 4))

    assert bs.logins == 2


def test_baostock_errors_say_which_query_and_why(provider, bs) -> None:
    bs.errors["query_history_k_data_plus"] = ("10004011", "无效的证券代码")
    with pytest.raises(PartUnavailable, match="无效的证券代码"):
        provider.daily_bars("600519.SH", D(2022, 1, 4))

    bs.errors["query_history_k_data_plus"] = ("10002003", "网络连接超时")
    with pytest.raises(SourceError, match="query_history_k_data_plus: 10002003 网络连接超时"):
        provider.valuation("600519.SH", D(2022, 1, 4))

    bs.login_error = "10001011"
    with pytest.raises(SourceError, match="baostock login: 10001011"):
        BaostockProvider(bs).index_bars(D(2022, 1, 4))


def test_baostock_first_in_the_chain_supplies_the_snapshot_and_the_rest_falls_through(bs) -> None:
    market = build_market(MarketConfig(providers=("baostock", "bundled")), modules={"baostock": bs})

    snapshot = market.load_snapshot("600036.SH", D(2023, 6, 30))

    sources = {part: info["source"] for part, info in snapshot.parts.items()}
    assert sources["bars"] == sources["valuation"] == sources["index_bars"] == sources["macro"] == "baostock"
    assert sources["universe"] == "bundled"  # baostock does not serve it: the chain goes on
    assert snapshot.close == pytest.approx(float(store().bars["600036.SH"].loc["2023-06-30", "close"]))
