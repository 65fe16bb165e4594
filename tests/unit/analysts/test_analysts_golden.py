"""Golden cases from the charts, and the new measures checked against independent computations from the CSVs."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from investmind.analysts import analyze
from investmind.analysts.signals import SIGNALS, SkippedSignals
from investmind.models import AgentResult, AgentStatus, Stance
from investmind.roster import STAGE1_IDS

from . import raw

D = dt.date
TOPS = [("600519.SH", D(2021, 2, 10)), ("300750.SZ", D(2021, 12, 2))]
"""Moutai a week before its February 2021 all-time high; CATL at its late-2021 high."""
FALLS = [("600519.SH", D(2022, 10, 31)), ("300750.SZ", D(2022, 4, 26))]
"""Moutai after the 2022 fall (-48% from the top); CATL in its spring-2022 low (-45%)."""


def _rows(symbol: str, until: str) -> list[dict[str, str]]:
    """The baostock (unadjusted) rows of ``symbol`` up to ``until``, read with csv."""
    return raw.rows(symbol, until, since=raw.SPLIT)


@pytest.mark.parametrize(("symbol", "as_of"), TOPS)
def test_technical_and_momentum_at_the_top_are_bullish_and_stretched(symbol, as_of, pipeline, snapshot) -> None:
    results = pipeline(snapshot(symbol, as_of))
    technical, momentum = results["technical"], results["momentum_director"]

    assert technical.stance == Stance.bullish and technical.score >= 50
    assert (technical.signals["trend"], technical.signals["ma_alignment"]) == ("up", "bullish")
    assert technical.signals["trend_strength"] == "strong"  # ADX(14) above 25
    assert technical.signals["resistance_from"] == "20-day high"  # nothing overhead at a new high
    assert momentum.stance == Stance.bullish and momentum.signals["grade"] == "S"
    assert momentum.signals["breakout_odds"] == "high" and momentum.signals["trend"] == "improving"


def test_technical_600519_top_flags_overbought_after_fall_oversold(snapshot) -> None:
    top = analyze("technical", snapshot(*TOPS[0]), {}, STAGE1_IDS)
    low = analyze("technical", snapshot(*FALLS[0]), {}, STAGE1_IDS)

    assert (top.signals["rsi_zone"], top.signals["bollinger"]) == ("overbought", "above upper")
    assert low.signals["rsi_zone"] == "oversold" and low.metrics["rsi14"] < 20


@pytest.mark.parametrize(("symbol", "as_of"), FALLS)
def test_technical_and_momentum_after_the_fall_are_bearish(symbol, as_of, pipeline, snapshot) -> None:
    results = pipeline(snapshot(symbol, as_of))
    technical, momentum, funds = results["technical"], results["momentum_director"], results["funds"]

    assert technical.stance == Stance.bearish and technical.score <= -50
    assert (technical.signals["trend"], technical.signals["ma_alignment"]) == ("down", "bearish")
    assert technical.signals["resistance_from"] == "swing high"  # the rebound highs left on the way down
    assert funds.signals["intent"] == "distribute" and funds.signals["short_term"] == "weak"
    assert momentum.stance == Stance.bearish and momentum.signals["grade"] == "D"
    assert momentum.signals["momentum_state"] == "bearish strengthening"
    assert momentum.signals["breakout_odds"] == "low" and momentum.metrics["breakout_odds"] < 0.05


@pytest.mark.parametrize(("symbol", "as_of"), FALLS)
def test_risk_directors_after_the_fall_see_the_drawdown(symbol, as_of, pipeline, snapshot) -> None:
    results = pipeline(snapshot(symbol, as_of))

    assert results["portfolio_risk_director"].metrics["max_drawdown_1y"] < -0.35
    assert results["systemic_risk_director"].signals["crash_risk"] == "elevated"
    assert results["investment_gm"].decision.action == "SELL"


@pytest.mark.parametrize(("symbol", "as_of"), [*TOPS, *FALLS, ("000338.SZ", D(2018, 6, 1)), ("600519.SH", None)])
def test_trade_levels_are_ordered_and_within_atr_bounds(symbol, as_of, snapshot) -> None:
    m = analyze("technical", snapshot(symbol, as_of), {}, STAGE1_IDS).metrics

    assert m["stop_loss"] < m["buy_low"] <= m["buy_high"] <= m["close"] < m["sell_low"] < m["sell_high"]
    assert m["buy_low"] >= m["close"] - 2 * m["atr"] - 1e-6
    assert m["sell_high"] >= m["close"] + m["atr"] - 1e-6
    assert m["stop_loss"] == pytest.approx(m["buy_low"] - 0.5 * m["atr"], abs=1e-3)


def test_swing_support_and_resistance_match_a_plain_loop(snapshot) -> None:
    # Adjusted independently: closes compounded from close / preclose, highs and lows scaled alike
    # (the 2022-06-30 dividend falls inside the last 120 sessions of 2022-10-31).
    rows = _rows("600519.SH", "2022-10-31")
    close = np.array([float(r["close"]) for r in rows])
    growth = np.cumprod(close / np.array([float(r["preclose"]) for r in rows]))
    factor = (growth * close[-1] / growth[-1] / close)[-120:]
    lows = list(np.array([float(r["low"]) for r in rows])[-120:] * factor)
    highs = list(np.array([float(r["high"]) for r in rows])[-120:] * factor)
    swing_lows = [lows[i] for i in range(5, 115) if lows[i] == min(lows[i - 5 : i + 6])]
    swing_highs = [highs[i] for i in range(5, 115) if highs[i] == max(highs[i - 5 : i + 6])]

    m = analyze("technical", snapshot("600519.SH", D(2022, 10, 31)), {}, STAGE1_IDS).metrics

    below, above = [x for x in swing_lows if x < close[-1]], [x for x in swing_highs if x > close[-1]]
    assert m["resistance"] == m["swing_high"] == pytest.approx(min(above), rel=1e-6)
    assert m["support"] == pytest.approx(max(below) if below else min(lows[-20:]), rel=1e-6)
    assert m["range_high_20"] == pytest.approx(max(highs[-20:]), rel=1e-6)


def test_funds_short_term_strength_matches_numpy(snapshot) -> None:
    rows = _rows("600519.SH", "2022-10-31")
    close = np.array([float(r["close"]) for r in rows])
    rets = close / np.array([float(r["preclose"]) for r in rows]) - 1
    ret5 = np.prod(1 + rets[-5:]) - 1
    expected = ret5 / (np.std(rets[-20:], ddof=1) * math.sqrt(5))

    result = analyze("funds", snapshot("600519.SH", D(2022, 10, 31)), {}, STAGE1_IDS)

    assert result.metrics["strength_5d"] == pytest.approx(expected, abs=1e-3)
    assert result.metrics["ret_5"] == pytest.approx(ret5, abs=1e-4)


def test_fundamental_pcf_percentile_matches_three_years_of_csv(snapshot) -> None:
    rows = [r for r in _rows("600519.SH", "2023-12-29") if r["pcfNcfTTM"]]
    dates = [dt.date.fromisoformat(r["date"]) for r in rows]
    pcf = np.array([float(r["pcfNcfTTM"]) for r in rows])
    window = pcf[[d > D(2020, 12, 29) for d in dates]]  # three years up to the last row
    window = window[window > 0]

    result = analyze("fundamental", snapshot("600519.SH", D(2023, 12, 29)), {}, STAGE1_IDS)

    m = result.metrics
    assert m["pcf_ttm"] == pytest.approx(pcf[-1], rel=1e-4)
    assert m["pcf_ttm_pct"] == pytest.approx((window <= pcf[-1]).mean() * 100, abs=0.01)
    # Cheap/fair/expensive reads PE, PB and PS only (PCF here is on net cash flow: see SCORED_RATIOS).
    assert m["valuation_pct"] == pytest.approx((m["pe_ttm_pct"] + m["pb_mrq_pct"] + m["ps_ttm_pct"]) / 3, abs=1e-3)


def test_systemic_risk_ten_day_var_and_stress_loss(snapshot) -> None:
    snap = snapshot("600519.SH", D(2022, 10, 31))
    index = np.array(raw.index_closes("2022-10-31"))[-756:]
    index_mdd = float(np.min(index / np.maximum.accumulate(index) - 1))

    m = analyze("systemic_risk_director", snap, {}, STAGE1_IDS).metrics

    assert m["var95_10d"] == pytest.approx(m["var95_1d"] * math.sqrt(10), abs=1e-3)
    assert m["index_max_drawdown_3y"] == pytest.approx(index_mdd, abs=1e-4)
    assert m["stress_loss"] == pytest.approx(m["beta_252d"] * index_mdd, abs=1e-3)


@pytest.mark.parametrize(("symbol", "as_of"), [*TOPS, *FALLS, ("000338.SZ", D(2018, 6, 1))])
def test_every_result_signals_validate_against_the_role_model(symbol, as_of, pipeline, snapshot) -> None:
    for agent_id, result in pipeline(snapshot(symbol, as_of)).items():
        if result.status == AgentStatus.succeeded:
            SIGNALS[agent_id].model_validate(result.signals)


def test_skipped_director_signals_are_typed(snapshot) -> None:
    result = analyze("fundamental_director", snapshot(*TOPS[0]), {}, ["technical"])

    assert result.status == AgentStatus.skipped
    SkippedSignals.model_validate(result.signals)


def _tech(score: float, trend: str, close: float, resistance: float, rsi: float) -> AgentResult:
    signals = {"trend": trend, "trend_strength": "strong", "macd": "bullish", "rsi_zone": "neutral"}
    metrics = {
        "close": close,
        "resistance": resistance,
        "atr": 2.0,
        "rsi14": rsi,
        "macd_hist": 1.0,
        "macd_hist_prev": 0.5,
    }
    stance = Stance.bullish if score >= 15 else Stance.bearish if score <= -15 else Stance.neutral
    return AgentResult(
        agent_id="technical",
        stage=1,
        status=AgentStatus.succeeded,
        stance=stance,
        score=score,
        confidence=0.7,
        signals=signals,
        metrics=metrics,
    )


def test_breakout_odds_rise_near_resistance_in_an_up_trend(snapshot) -> None:
    snap = snapshot(*TOPS[0])
    near = analyze("momentum_director", snap, {"technical": _tech(60, "up", 99.5, 100.0, 62)}, ["technical"])
    far = analyze("momentum_director", snap, {"technical": _tech(-40, "down", 80.0, 100.0, 38)}, ["technical"])

    assert near.metrics["breakout_odds"] > 0.6 > 0.35 > far.metrics["breakout_odds"]
    assert (near.signals["breakout_odds"], far.signals["breakout_odds"]) == ("high", "low")
    assert near.signals["momentum_state"] == "bullish strengthening"
