"""The five stage-1 analysts on real bundled data: well-formed results, known charts, missing data."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from investmind.analysts import analyze
from investmind.errors import AgentError
from investmind.models import Stance
from investmind.roster import STAGE1_IDS

from . import raw

D = dt.date
DATES_600519 = [D(2020, 6, 30), D(2021, 2, 10), D(2022, 10, 31), None]


def _raw_600519(until: str) -> tuple[np.ndarray, np.ndarray]:
    """Closes and true daily returns (close / preclose - 1) of 600519 up to ``until``, read with csv."""
    rows = raw.rows("600519.SH", until, since=raw.SPLIT)
    close = np.array([float(r["close"]) for r in rows])
    preclose = np.array([float(r["preclose"]) for r in rows])
    return close, close / preclose - 1.0


@pytest.mark.parametrize("as_of", DATES_600519)
@pytest.mark.parametrize("agent_id", STAGE1_IDS)
def test_stage1_agent_600519_returns_well_formed_result(agent_id, as_of, snapshot, well_formed) -> None:
    result = analyze(agent_id, snapshot("600519.SH", as_of), {}, STAGE1_IDS)

    well_formed(result)
    assert result.agent_id == agent_id and result.stage == 1


@pytest.mark.parametrize(
    ("agent_id", "message"),
    [
        ("industry", "neither the CSI 300 nor same-industry peers of 000338.SZ"),
    ],
)
def test_stage1_agent_000338_in_2018_without_index_raises_agent_error(agent_id, message, snapshot) -> None:
    with pytest.raises(AgentError, match=message):
        analyze(agent_id, snapshot("000338.SZ", D(2018, 6, 1)), {}, STAGE1_IDS)


@pytest.mark.parametrize("agent_id", ["macro", "technical", "funds", "fundamental"])
def test_stage1_agent_000338_in_2018_works_from_what_exists(agent_id, snapshot, well_formed) -> None:
    well_formed(analyze(agent_id, snapshot("000338.SZ", D(2018, 6, 1)), {}, STAGE1_IDS))


def test_funds_without_turnover_says_so_and_lowers_confidence(snapshot) -> None:
    without = analyze("funds", snapshot("000338.SZ", D(2018, 6, 1)), {}, STAGE1_IDS)

    assert without.signals["turnover"] == "n/a"
    assert without.metrics["turnover_ratio"] is None
    assert "no turnover data" in without.summary
    assert without.confidence < 0.65


def test_fundamental_without_valuation_scores_reports_only(snapshot) -> None:
    result = analyze("fundamental", snapshot("000338.SZ", D(2018, 6, 1)), {}, STAGE1_IDS)

    assert result.signals["valuation"] == "n/a"
    assert result.signals["latest_report"] == "2018-03-31"
    assert result.metrics["profit_growth_yoy"] == pytest.approx(0.6269)
    assert "valuation not scored" in result.summary


def test_fundamental_stale_reports_not_scored(snapshot) -> None:
    result = analyze("fundamental", snapshot("000001.SZ", D(2023, 12, 11)), {}, STAGE1_IDS)

    assert "profit_growth_yoy" not in result.metrics
    assert "is stale at 2023-12-11" in result.summary
    assert result.metrics["valuation_age_days"] == 3  # the 2023-12-11 valuation row is empty


def test_fundamental_600519_expensive_at_2021_top_cheap_after_2022_fall(snapshot) -> None:
    top = analyze("fundamental", snapshot("600519.SH", D(2021, 2, 10)), {}, STAGE1_IDS)
    low = analyze("fundamental", snapshot("600519.SH", D(2022, 10, 31)), {}, STAGE1_IDS)

    assert (top.signals["valuation"], low.signals["valuation"]) == ("expensive", "cheap")
    assert top.metrics["roe_ttm"] == pytest.approx(top.metrics["pb_mrq"] / top.metrics["pe_ttm"], abs=1e-3)


def test_technical_600519_near_feb_2021_top_bullish(snapshot) -> None:
    result = analyze("technical", snapshot("600519.SH", D(2021, 2, 10)), {}, STAGE1_IDS)

    assert result.stance == Stance.bullish
    assert result.signals["trend"] == "up"


def test_technical_600519_after_2022_fall_bearish(snapshot) -> None:
    result = analyze("technical", snapshot("600519.SH", D(2022, 10, 31)), {}, STAGE1_IDS)

    assert result.stance == Stance.bearish
    assert result.signals["trend"] == "down"


def test_technical_levels_match_raw_bars_away_from_ex_dates(snapshot) -> None:
    # No ex-date in the 20 sessions before 2021-02-10, so adjusted and raw levels coincide.
    snap = snapshot("600519.SH", D(2021, 2, 10))
    result = analyze("technical", snap, {}, STAGE1_IDS)
    recent = snap.bars.iloc[-20:]

    assert result.metrics["sma20"] == pytest.approx(recent["close"].mean(), abs=1e-3)
    assert result.metrics["range_low_20"] == pytest.approx(recent["low"].min())
    assert result.metrics["range_high_20"] == pytest.approx(recent["high"].max())
    # At a new high nothing overhead is known: resistance falls back to the 20-day high.
    assert result.metrics["resistance"] == result.metrics["range_high_20"]
    assert result.metrics["close"] == snap.close


def test_industry_returns_match_independent_computation(snapshot) -> None:
    snap = snapshot("600519.SH", D(2022, 10, 31))
    _, rets = _raw_600519("2022-10-31")
    index_close = snap.index_bars["close"].to_numpy()

    result = analyze("industry", snap, {}, STAGE1_IDS)

    assert result.metrics["ret_20"] == pytest.approx(np.prod(1 + rets[-20:]) - 1, abs=1e-4)
    assert result.metrics["index_ret_20"] == pytest.approx(index_close[-1] / index_close[-21] - 1, abs=1e-4)
    assert result.signals["rs_vs_peers"] in {"leading", "lagging", "in line"}


@pytest.mark.parametrize(
    ("agent_id", "signal", "labels"),
    [
        ("funds", "intent", {"bullish": "accumulate", "neutral": "wait", "bearish": "distribute"}),
    ],
)
@pytest.mark.parametrize("as_of", DATES_600519[1:])
def test_stage1_label_follows_stance(agent_id, signal, labels, as_of, snapshot) -> None:
    result = analyze(agent_id, snapshot("600519.SH", as_of), {}, STAGE1_IDS)

    assert result.signals[signal] == labels[result.stance.value]
    assert f"**{labels[result.stance.value]}**" in result.summary


def test_macro_without_index_or_series_raises_agent_error(snapshot) -> None:
    bare = dataclasses.replace(snapshot("000338.SZ", D(2018, 6, 1)), macro=None)

    with pytest.raises(AgentError, match="neither 61 CSI 300 bars nor macro series up to 2018-06-01"):
        analyze("macro", bare, {}, STAGE1_IDS)


def _monthly(name: str, column: str, known_day: int, until: dt.date) -> list[float]:
    """A macro CSV's values for the months public by ``until`` (known from ``known_day`` of the next month)."""
    out = []
    for row in raw.macro_rows(name):
        month = dt.date.fromisoformat(row["date"])
        following = dt.date(month.year + month.month // 12, month.month % 12 + 1, known_day)
        if following <= until and row[column]:
            out.append(float(row[column]))
    return out


@pytest.mark.parametrize("as_of", [D(2018, 6, 1), D(2020, 7, 15), D(2022, 10, 31), D(2024, 9, 30)])
def test_macro_liquidity_follows_money_credit_and_rates_not_the_score(as_of, snapshot) -> None:
    m2 = _monthly("money_supply", "m2_yoy", 20, as_of)
    tsf = np.array(_monthly("social_financing", "value", 20, as_of))
    sums = np.convolve(tsf, np.ones(12), "valid")  # 12-month flows, oldest first
    growth = (sums[12:] / sums[:-12] - 1) * 100
    votes = [np.sign(m2[-1] - m2[-7]) if abs(m2[-1] - m2[-7]) > 0.5 else 0]
    votes.append(np.sign(growth[-1] - growth[-7]) if abs(growth[-1] - growth[-7]) > 1.0 else 0)
    shibor = [(r["date"], float(r["3M"])) for r in raw.shibor_rows() if r["date"] <= as_of.isoformat()]
    if (as_of - dt.date.fromisoformat(shibor[-1][0])).days <= 10:
        change = shibor[-1][1] - shibor[-127][1]
        votes.append(-np.sign(change) if abs(change) > 0.25 else 0)
    expected = "loose" if sum(votes) >= 1 else "tight" if sum(votes) <= -1 else "neutral"

    result = analyze("macro", snapshot("600519.SH", as_of), {}, STAGE1_IDS)

    assert result.metrics["m2_yoy"] == m2[-1]
    assert result.metrics["credit_growth"] == pytest.approx(growth[-1], abs=1e-3)
    assert result.signals["liquidity"] == expected
    assert f"liquidity **{expected}**" in result.summary


def test_industry_peers_are_the_other_stocks_of_its_board(snapshot) -> None:
    # 600519 sits on the Eastmoney 酿酒行业 board with 000858 and 000568 in the bundled data.
    def ret60(symbol: str) -> float:
        rows = raw.rows(symbol, "2022-10-31", since=raw.SPLIT)[-61:]
        growth = np.prod([float(r["close"]) / float(r["preclose"]) for r in rows[1:]])
        return float(growth - 1)

    result = analyze("industry", snapshot("600519.SH", D(2022, 10, 31)), {}, STAGE1_IDS)

    assert result.signals["industry"] == "酿酒行业" and result.metrics["n_peers"] == 2
    assert result.metrics["peer_ret_60"] == pytest.approx(np.median([ret60("000858.SZ"), ret60("000568.SZ")]), abs=1e-4)
    assert result.metrics["ret_60"] == pytest.approx(ret60("600519.SH"), abs=1e-4)
