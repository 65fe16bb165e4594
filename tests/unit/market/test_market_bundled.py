"""The bundled provider: exact values from the files, as_of resolution, merging, and no look-ahead."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import hashlib
import math
from pathlib import Path

import pandas as pd
import pytest

from investmind.errors import DataUnavailable
from investmind.market import PartUnavailable, Snapshot, load_snapshot, universe
from investmind.market.bundled import DATA_DIR, BundledProvider
from investmind.market.snapshot import PART_NAMES
from investmind.market.symbols import normalize_symbol

REPO = Path(__file__).resolve().parents[3]
SHARED_DATA = REPO.parent / "shared" / "data"  # beside the repository, where the sample data came from
D = dt.date


def _frames(snapshot: Snapshot) -> dict[str, pd.DataFrame | pd.Series]:
    frames: dict[str, pd.DataFrame | pd.Series] = {"bars": snapshot.bars}
    for name in ("valuation", "index_bars"):
        if getattr(snapshot, name) is not None:
            frames[name] = getattr(snapshot, name)
    frames.update({f"peer {s}": c for s, c in snapshot.peers.items()})
    frames.update({f"universe {s}": c for s, c in snapshot.universe.items()})
    return frames


def test_load_snapshot_600519_first_day_reads_exact_values() -> None:
    snapshot = load_snapshot("600519.SH", D(2020, 1, 2))

    bar = snapshot.bars.iloc[-1]
    assert snapshot.as_of == D(2020, 1, 2)
    assert (bar["open"], bar["high"], bar["low"], bar["close"]) == (1128.0, 1145.06, 1116.0, 1130.0)
    assert (bar["preclose"], bar["volume"], bar["turn"], bar["pct_chg"]) == (1183.0, 14809916.0, 1.1789, -4.4801)
    assert snapshot.valuation.iloc[-1].to_dict() == {
        "pe_ttm": 34.685547,
        "pb_mrq": 11.332618,
        "ps_ttm": 16.556143,
        "pcf_ttm": 76.567282,
    }
    assert (snapshot.name, snapshot.industry) == ("贵州茅台", "酿酒行业")  # the Eastmoney board


def test_load_snapshot_index_columns_read_by_name_not_position() -> None:
    # The CSI 300 file runs date,open,close,high,low: close must not be read as high.
    index = load_snapshot("600519.SH", D(2020, 1, 2)).index_bars

    row = index.loc["2020-01-02"]
    assert (row["open"], row["high"], row["low"], row["close"]) == (4121.35, 4172.66, 4121.35, 4152.24)


def test_load_snapshot_valuation_gap_day_left_nan() -> None:
    valuation = load_snapshot("000001.SZ", D(2023, 12, 11)).valuation

    assert valuation.loc["2023-12-11"].isna().all()
    assert valuation.loc["2023-12-08"].notna().all()


def test_load_snapshot_valuation_gap_day_marks_part_stale() -> None:
    parts = load_snapshot("000001.SZ", D(2023, 12, 11)).parts

    assert parts["valuation"]["last"] == D(2023, 12, 8)
    assert parts["valuation"]["stale"] is True
    assert parts["bars"]["stale"] is False


def test_load_snapshot_weekend_resolves_to_friday() -> None:
    assert load_snapshot("600519.SH", D(2022, 10, 29)).as_of == D(2022, 10, 28)


def test_load_snapshot_no_date_resolves_to_last_bar() -> None:
    assert load_snapshot("600519.SH", None).as_of == D(2025, 4, 7)
    assert load_snapshot("000338.SZ", None).as_of == D(2020, 6, 16)


def test_load_snapshot_accepts_other_spellings() -> None:
    assert load_snapshot("sh.600519", D(2021, 3, 1)).symbol == "600519.SH"


@pytest.mark.parametrize(
    ("symbol", "as_of", "message"),
    [
        ("600519.SH", D(2009, 12, 31), "no bundled data for 600519.SH before 2010-01-04"),
        ("300750.SZ", D(2019, 12, 31), "no bundled data for 300750.SZ before 2020-01-02"),
        ("000338.SZ", D(2020, 6, 27), "no bundled data for 000338.SZ after 2020-06-16"),
        ("688981.SH", None, "no bundled data for 688981.SH"),
        ("hello", None, "is not a stock symbol"),
    ],
)
def test_load_snapshot_out_of_range_or_unknown_raises_data_unavailable(
    symbol: str, as_of: dt.date | None, message: str
) -> None:
    with pytest.raises(DataUnavailable, match=message):
        load_snapshot(symbol, as_of)


def test_load_snapshot_within_ten_days_after_last_resolves_and_flags_stale() -> None:
    snapshot = load_snapshot("000338.SZ", D(2020, 6, 26))

    assert snapshot.as_of == D(2020, 6, 16)
    assert snapshot.parts["bars"]["stale"] is True  # the market traded on days the stock's data lacks


def test_load_snapshot_holiday_gap_not_stale() -> None:
    # Spring Festival 2024: no trading from 2024-02-09 to 2024-02-18.
    snapshot = load_snapshot("600519.SH", D(2024, 2, 17))

    assert snapshot.as_of == D(2024, 2, 8)
    assert snapshot.parts["bars"]["stale"] is False


def test_load_snapshot_overlapping_stock_prefers_rich_rows_and_keeps_history() -> None:
    bars = load_snapshot("000001.SZ", None).bars

    assert bars.index.is_unique and bars.index.is_monotonic_increasing
    assert bars.index[0] == pd.Timestamp("2010-01-04")  # Qbot's longer history, not zvt's from 2015
    assert bars.loc["2020-01-02":, "turn"].notna().all()
    assert bars.loc[:"2019-12-31", "turn"].isna().all()
    assert bars.loc["2020-01-02", "close"] == 16.87  # the baostock value, not zvt's 16.58
    assert bars.loc["2019-12-31", "close"] == 16.1717  # Qbot's, forward-adjusted to 2020-09-07
    assert (bars.loc[:"2019-12-31", "source_adjusted"] == 1).all()
    assert (bars.loc["2020-01-02":, "source_adjusted"] == 0).all()


@pytest.mark.parametrize(
    ("symbol", "as_of"),
    [
        ("600519.SH", D(2021, 2, 10)),
        ("000001.SZ", D(2019, 7, 15)),
        ("000338.SZ", D(2018, 5, 2)),
        ("601318.SH", D(2020, 4, 29)),
        ("300750.SZ", D(2023, 4, 26)),
    ],
)
def test_load_snapshot_every_part_ends_at_or_before_as_of(symbol: str, as_of: dt.date) -> None:
    snapshot = load_snapshot(symbol, as_of)
    cut = pd.Timestamp(snapshot.as_of)

    for name, frame in _frames(snapshot).items():
        assert frame.index[-1] <= cut, name
    if snapshot.fundamentals is not None:
        assert (snapshot.fundamentals["published_by"] <= cut).all()
        assert snapshot.fundamentals.index[-1] <= cut
    assert snapshot.bars.index[-1] == cut


def test_load_snapshot_fundamentals_wait_for_statutory_deadline() -> None:
    # The 2019 annual report is due by 2020-04-30; before then the latest known is Q3 2019.
    before = load_snapshot("000338.SZ", D(2020, 4, 29)).fundamentals
    after = load_snapshot("000338.SZ", D(2020, 4, 30)).fundamentals

    assert before.index[-1] == pd.Timestamp("2019-09-30")
    assert after.index[-1] == pd.Timestamp("2020-03-31")
    assert after.loc["2020-03-31", "report_period"] == "season1"


def test_load_snapshot_stock_without_sources_marks_parts_missing() -> None:
    snapshot = load_snapshot("000338.SZ", D(2018, 6, 1))

    assert snapshot.valuation is None and snapshot.index_bars is None and snapshot.peers == {}
    for part in ("valuation", "index_bars", "peers"):
        described = snapshot.parts[part]
        assert described == {
            "source": None,
            "as_of": None,
            "fetched_at": None,
            "first": None,
            "last": None,
            "rows": 0,
            "stale": False,
            "missing": True,
            "note": described["note"],
        }
        assert described["note"].startswith("bundled: ")  # says why, in the provider's words
        assert snapshot.missing(part)
    assert snapshot.bars["turn"].isna().all()


def test_load_snapshot_parts_describe_every_part() -> None:
    parts = load_snapshot("600519.SH", D(2022, 10, 31)).parts

    assert set(parts) == set(PART_NAMES)
    fetched_at = dt.datetime.fromisoformat(parts["bars"].pop("fetched_at").replace("Z", "+00:00"))
    assert parts["bars"] == {
        "source": "bundled",
        "as_of": D(2022, 10, 31),
        "first": D(2010, 1, 4),
        "last": D(2022, 10, 31),
        "rows": 3109,
        "stale": False,
        "missing": False,
        "note": None,
    }
    assert abs((dt.datetime.now(dt.UTC) - fetched_at).total_seconds()) < 86400
    assert parts["fundamentals"]["missing"] is True  # 600519 is not in the quarterly file
    assert parts["fundamentals"]["note"] == "bundled: no bundled financial reports for 600519.SH"


def test_load_snapshot_peers_are_same_industry_only() -> None:
    snapshot = load_snapshot("600519.SH", D(2022, 10, 31))

    assert set(snapshot.peers) == {"000858.SZ", "000568.SZ"}  # the other 酿酒行业 stocks
    assert "600519.SH" in snapshot.universe and len(snapshot.universe) == 61


def test_load_snapshot_universe_holds_stocks_trading_at_as_of() -> None:
    # 603220 lists on 2018-11-15 and the 2020-2025-only stocks start in 2020; the Qbot stocks trading
    # in the ten days up to 2018-06-01 are read from its CSV here, independently of the provider.
    with gzip.open(DATA_DIR / "cn_daily_qfq_2010_2020_qbot46.csv.gz", "rt", encoding="utf-8") as f:
        qbot = {normalize_symbol(r["code"]) for r in csv.DictReader(f) if "2018-05-22" <= r["date"] <= "2018-06-01"}
    zvt = {"000001.SZ", "000338.SZ", "000778.SZ", "000783.SZ", "002572.SZ", "300027.SZ", "601318.SH"}

    symbols = set(load_snapshot("000338.SZ", D(2018, 6, 1)).universe)

    assert symbols == qbot | zvt
    assert len(qbot) > 40 and "300750.SZ" not in symbols and "603220.SH" not in symbols


def test_load_snapshot_peer_closes_adjusted_through_bonus_issue() -> None:
    # 300750 had a 10-for-8 bonus issue on 2023-04-26 (close 385.90, then preclose 212.99).
    snapshot = load_snapshot("600519.SH", D(2023, 5, 31))
    close = snapshot.universe["300750.SZ"]

    jump = close.loc["2023-04-26"] / close.loc["2023-04-25"] - 1
    assert math.isclose(jump, 224.50 / 212.99 - 1, rel_tol=1e-9)
    assert close.iloc[-1] == load_snapshot("300750.SZ", D(2023, 5, 31)).close


def test_load_snapshot_name_follows_renames() -> None:
    assert load_snapshot("603220.SH", D(2019, 5, 6)).name == "贝通信"
    assert load_snapshot("603220.SH", D(2020, 5, 6)).name == "中贝通信"


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="the shared data folder is not on this machine")
def test_bundled_files_match_shared_originals() -> None:
    # Each bundled file is its original, gzip-compressed where the original was not (macro/ included).
    copies = [p for p in DATA_DIR.rglob("*") if p.is_file() and p.suffix != ".md" and p.name != "symbols.csv"]
    assert len(copies) == 22
    for copy in copies:
        relative = copy.relative_to(DATA_DIR)
        original = SHARED_DATA / relative
        if not original.exists():
            original = SHARED_DATA / relative.with_suffix("")  # x.csv.gz was x.csv
            assert original.exists(), relative
            content = gzip.decompress(copy.read_bytes())
        else:
            content = copy.read_bytes()
        assert hashlib.sha256(content).digest() == hashlib.sha256(original.read_bytes()).digest(), relative


def test_bundled_provider_reads_known_values_on_known_dates() -> None:
    provider = BundledProvider()

    bars = provider.daily_bars("000858.SZ", D(2020, 1, 3))
    valuation = provider.valuation("000858.SZ", D(2020, 1, 3))
    index = provider.index_bars(D(2020, 1, 3))
    reports = provider.fundamentals("601318.SH", D(2020, 4, 30))

    assert bars.index[-1] == pd.Timestamp("2020-01-03")
    assert bars.iloc[-1][["close", "preclose", "volume", "turn"]].tolist() == [130.55, 132.08, 20469248.0, 0.5393]
    assert valuation.iloc[-1]["pe_ttm"] == 30.836261 and valuation.iloc[-1]["pcf_ttm"] == 32.062581
    assert index.loc["2020-01-03", "close"] == 4144.96
    assert reports.loc["2019-12-31", ["roe", "net_profit_growth_yoy"]].tolist() == [0.244, 0.3911]


def test_bundled_provider_macro_dated_when_published_and_no_unknown_symbols() -> None:
    provider = BundledProvider()

    # CPI of January 2020 (+5.4% y/y) is taken as known from 15 February, M2 of December 2020
    # (10.1%) from 20 January 2021, the February 2020 PMI (35.7) from 1 March.
    before, after = provider.macro(D(2020, 2, 14)), provider.macro(D(2020, 2, 15))
    assert before["cpi_yoy"].dropna().iloc[-1] == 4.5 and after["cpi_yoy"].dropna().iloc[-1] == 5.4
    m2 = provider.macro(D(2021, 1, 20))["m2_yoy"].dropna()
    assert (m2.index[-1], m2.iloc[-1]) == (pd.Timestamp("2021-01-20"), 10.1)
    pmi = provider.macro(D(2020, 3, 1))["pmi_mfg"].dropna()
    assert (pmi.index[-1], pmi.iloc[-1]) == (pd.Timestamp("2020-03-01"), 35.7)
    shibor = provider.macro(D(2018, 7, 13))["shibor_3m"].dropna()
    assert shibor.index[-1] == pd.Timestamp("2018-07-13")
    with pytest.raises(PartUnavailable, match="no bundled data for 688981.SH"):
        provider.profile("688981.SH", D(2021, 3, 1))
    with pytest.raises(PartUnavailable, match="no other 汽车零部件 stock in the bundled data"):
        provider.peers("000338.SZ", D(2019, 3, 1))


def test_load_snapshot_parts_of_a_full_snapshot_all_from_bundled() -> None:
    snapshot = load_snapshot("601318.SH", D(2020, 5, 6))

    present = {name for name, part in snapshot.parts.items() if not part["missing"]}
    assert present == set(PART_NAMES)
    assert {snapshot.parts[name]["source"] for name in present} == {"bundled"}
    assert set(snapshot.peers) == {"601628.SH", "601601.SH"}  # the other 保险 stocks
    assert snapshot.parts["macro"]["stale"] is False  # the April PMI, public on 2020-05-01
    assert snapshot.fundamentals.index[-1] == pd.Timestamp("2020-03-31")  # Q1 2020, due and published by 30 April


def test_load_snapshot_latest_on_an_old_last_bar_is_stale_as_a_dated_request() -> None:
    latest = load_snapshot("000338.SZ", None)
    dated = load_snapshot("000338.SZ", D(2020, 6, 26))

    assert latest.as_of == dated.as_of == D(2020, 6, 16)
    assert latest.parts["bars"]["stale"] is dated.parts["bars"]["stale"] is True
    assert latest.parts["bars"]["note"] == "data ends 2020-06-16; the market traded on 2025-12-31"


def test_load_snapshot_suspended_days_are_not_bars() -> None:
    # 600030 was suspended 2022-01-19 .. 2022-01-26 (baostock rows with tradestatus 0, no volume).
    bars = load_snapshot("600030.SH", D(2022, 2, 28)).bars

    assert not bars.index.isin(pd.date_range("2022-01-19", "2022-01-26")).any()
    assert (bars.loc["2020-01-02":, "volume"] > 0).all()


@pytest.mark.parametrize("symbol", ["600519.SH", "300750.SZ", "600030.SH", "601318.SH"])
def test_adjusted_closes_follow_the_ex_date_factors_file(symbol: str) -> None:
    # adjusted / traded close = the back-adjustment factor of that day / the last one, where the factor
    # steps at each ex-date of cn_adj_events (derived there from the bars, read here with csv).
    code, market = symbol.split(".")
    with gzip.open(DATA_DIR / "cn_adj_events_2020_2025.csv.gz", "rt", encoding="utf-8") as f:
        events = [
            (r["date"], float(r["adj_factor_hfq"]))
            for r in csv.DictReader(f)
            if r["code"] == f"{market.lower()}.{code}"
        ]
    snapshot = load_snapshot(symbol, D(2025, 4, 7))
    adjusted = snapshot.universe[symbol].loc["2020-01-02":]
    traded = snapshot.bars.loc["2020-01-02":, "close"]

    def factor(day: pd.Timestamp) -> float:
        return ([value for date, value in events if date <= day.date().isoformat()] or [1.0])[-1]

    assert len(events) >= 4
    expected = pd.Series([factor(day) for day in traded.index], index=traded.index) / events[-1][1]
    assert ((adjusted / traded) / expected - 1).abs().max() < 1e-6


def test_index_members_and_industry_map_cover_the_bundled_stocks() -> None:
    members = universe.index_members()

    assert {name: len(symbols) for name, symbols in members.items()} == {
        "CSI 300": 300,
        "CSI 500": 499,
        "SSE 50": 50,
        "STAR 50": 50,
    }
    assert set(universe.selection_names()) <= members["CSI 300"]  # the 61 were members in January 2024 too
    assert universe.industry_of("600519.SH") == "酿酒行业" and universe.industry_of("688981.SH") == "半导体"
