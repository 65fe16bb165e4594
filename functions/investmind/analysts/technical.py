"""Technical analyst: trend, momentum, volatility bands, support and resistance from daily bars."""

from __future__ import annotations

import math

from ta.momentum import RSIIndicator
from ta.trend import MACD, ADXIndicator, SMAIndicator
from ta.volatility import BollingerBands

from ..market import Snapshot
from ..models import AgentResult
from . import narratives
from . import texts_technical as T
from .common import clip, data_confidence, finite, fmt, make_result, pct, require, settle, stance_for
from .quant import INDICATOR_TAIL, adjusted_bars, last, price_levels, relative, trade_levels, traded_prices
from .signals import TechnicalSignals
from .wording import term

AGENT_ID = "technical"
MIN_BARS = 60
SLOPE_LAG = 10
"""Bars over which the 60-day average's direction is judged."""
LEVEL_KEYS = ("support", "resistance", "buy_low", "buy_high", "sell_low", "sell_high", "stop_loss")
TRENDING_ADX = 25.0
"""Wilder's threshold: ADX at or above it is a trending market, below it a ranging one."""


def _measure(snapshot: Snapshot) -> dict[str, float | None]:
    adjusted = adjusted_bars(snapshot.bars)
    close = adjusted["close"].iloc[-INDICATOR_TAIL:]
    sma60 = SMAIndicator(close, 60).sma_indicator()
    macd = MACD(close)
    hist = macd.macd_diff().dropna()
    levels = price_levels(adjusted)
    adx = ADXIndicator(adjusted["high"].iloc[-INDICATOR_TAIL:], adjusted["low"].iloc[-INDICATOR_TAIL:], close, 14)
    prior = float(sma60.iloc[-1 - SLOPE_LAG]) if len(sma60) > SLOPE_LAG else None
    m: dict[str, float | None] = {
        **levels,
        "sma20": last(SMAIndicator(close, 20).sma_indicator()),
        "sma60": last(sma60),
        "sma120": last(SMAIndicator(close, 120).sma_indicator()) if len(close) >= 120 else None,
        "sma60_slope_10d": float(sma60.iloc[-1] / prior - 1.0) if finite(prior) else None,
        "macd": last(macd.macd()),
        "macd_signal": last(macd.macd_signal()),
        "macd_hist": last(hist),
        "macd_hist_prev": float(hist.iloc[-4]) if len(hist) >= 4 else None,
        "rsi14": last(RSIIndicator(close, 14).rsi()),
        "bb_pctb": last(BollingerBands(close, 20, 2).bollinger_pband()),
        "adx14": last(adx.adx()) if len(close) >= 28 else None,  # ADX needs two windows to warm up
    }
    m.update(trade_levels(m["close"], m["atr"], m["support"], m["resistance"]))
    m["atr_pct"] = m["atr"] / m["close"] if m["atr"] else None
    m["gap_sma60"] = m["close"] / m["sma60"] - 1.0 if m["sma60"] else None
    for key in LEVEL_KEYS:
        m[f"{key}_pct"] = relative(m[key], m["close"])
    m["traded_prices"] = 1.0 if traded_prices(snapshot.bars) else 0.0
    return m


def _trend(m: dict[str, float | None]) -> str:
    close, fast, slow, slope = m["close"], m["sma20"], m["sma60"], m["sma60_slope_10d"]
    if None in (fast, slow, slope):
        return "sideways"
    if close > fast > slow and slope > 0:
        return "up"
    if close < fast < slow and slope < 0:
        return "down"
    return "sideways"


def _rsi_points(rsi: float | None) -> float:
    if rsi is None:
        return 0.0
    points = clip((rsi - 50.0) * 0.6, -12, 12)
    # Past the extremes momentum is stretched: give a little back rather than chase it.
    if rsi > 80:
        points -= 5
    elif rsi < 20:
        points += 5
    return points


def _score(m: dict[str, float | None], trend: str) -> float:
    score = {"up": 25.0, "down": -25.0}.get(trend, 0.0)
    score += clip((m["gap_sma60"] or 0.0) * 150, -20, 20)
    if m["macd"] is not None:
        score += 8 if m["macd"] > 0 else -8
    if m["macd_hist"] is not None:
        score += 7 if m["macd_hist"] > 0 else -7
    score += _rsi_points(m["rsi14"])
    if m["bb_pctb"] is not None:
        score += clip((m["bb_pctb"] - 0.5) * 10, -5, 5)
    if m["sma120"] is not None:
        score += 8 if m["close"] > m["sma120"] else -8
    return score


def _signals(m: dict[str, float | None], trend: str) -> TechnicalSignals:
    hist, prev = m["macd_hist"], m["macd_hist_prev"]
    macd = "n/a" if hist is None else "bullish" if hist > 0 else "bearish"
    if hist is not None and prev is not None and (hist > 0) != (prev > 0):
        macd += " cross"  # the histogram changed sign within the last three bars
    rsi, pctb, adx = m["rsi14"], m["bb_pctb"], m["adx14"]
    smas = [m["sma20"], m["sma60"], m["sma120"]]
    alignment = "n/a"
    if None not in smas:
        alignment = "bullish" if smas[0] > smas[1] > smas[2] else "bearish" if smas[0] < smas[1] < smas[2] else "mixed"
    target = "n/a" if m["sell_high"] is None else "3 ATR projection"
    if m["sell_high"] is not None and m["resistance"] is not None and math.isclose(m["sell_high"], m["resistance"]):
        target = "resistance"
    return TechnicalSignals(
        trend=trend,
        trend_strength="n/a" if adx is None else "strong" if adx >= TRENDING_ADX else "weak",
        macd=macd,
        rsi_zone="n/a" if rsi is None else "overbought" if rsi >= 70 else "oversold" if rsi <= 30 else "neutral",
        bollinger="n/a" if pctb is None else "above upper" if pctb > 1 else "below lower" if pctb < 0 else "inside",
        ma_alignment=alignment,
        support_from="swing low" if m["swing_low"] is not None else "20-day low",
        resistance_from="swing high" if m["swing_high"] is not None else "20-day high",
        target_from=target,
    )


def _confidence(snapshot: Snapshot, m: dict[str, float | None], s: TechnicalSignals) -> float:
    confidence = 0.7 * data_confidence(snapshot, ("bars",))
    if (s.trend == "up" and s.macd.startswith("bullish")) or (s.trend == "down" and s.macd.startswith("bearish")):
        confidence += 0.1  # trend and momentum agree
    if s.trend != "sideways" and s.trend_strength == "weak":
        confidence -= 0.05  # a direction without a trending market behind it
    return confidence * (1.0 if m["sma120"] is not None else 0.85)


def analyze(snapshot: Snapshot, upstream: object = None, selected: object = None) -> AgentResult:
    require(
        len(snapshot.bars) >= MIN_BARS, f"technical: {len(snapshot.bars)} bars up to {snapshot.as_of}, need {MIN_BARS}"
    )
    m = _measure(snapshot)
    trend = _trend(m)
    s = _signals(m, trend)
    score = settle(_score(m, trend))
    traded = bool(m["traded_prices"])
    body = _body(m, s, trend, traded)
    evidence = _evidence(m, s, traded)
    confidence = _confidence(snapshot, m, s)
    narrative = narratives.technical(stance_for(score), m, s.model_dump(), traded)
    return make_result(AGENT_ID, score, confidence, body, signals=s, metrics=m, evidence=evidence, narrative=narrative)


def _level(m: dict[str, float | None], key: str, traded: bool) -> str:
    """A price level as quoted: the traded price, or its distance from the close when only adjusted prices exist."""
    return fmt(m[key]) if traded else T.RELATIVE_LEVEL(gap=pct(m[f"{key}_pct"], sign=True))


def _levels(m: dict[str, float | None], traded: bool) -> dict[str, str]:
    keys = ("support", "resistance", "buy_low", "buy_high", "sell_low", "sell_high")
    return {**{k: _level(m, k, traded) for k in keys}, "stop": _level(m, "stop_loss", traded)}


def _evidence(m: dict[str, float | None], s: TechnicalSignals, traded: bool) -> list[str]:
    lv = _levels(m, traded)
    return [
        T.EVIDENCE_TREND(trend=term(s.trend), strength=term(s.trend_strength, T.STRENGTH_WORDS), adx=fmt(m["adx14"], 1),
                         gap=pct(m["gap_sma60"], sign=True)),
        T.EVIDENCE_MACD(hist=fmt(m["macd_hist"]), state=term(s.macd, T.MACD_WORDS)),
        T.EVIDENCE_RSI(rsi=fmt(m["rsi14"], 1), pctb=fmt(m["bb_pctb"])),
        T.EVIDENCE_LEVELS(support=lv["support"], resistance=lv["resistance"]),
        T.EVIDENCE_ATR(atr=pct(m["atr_pct"])),
        T.EVIDENCE_RANGES(**{k: lv[k] for k in ("buy_low", "buy_high", "sell_low", "sell_high", "stop")}),
    ]  # fmt: skip


def _body(m: dict[str, float | None], s: TechnicalSignals, trend: str, traded: bool) -> str:
    lv = _levels(m, traded)
    basis = T.BASIS_TRADED() if traded else T.BASIS_ADJUSTED()
    close = T.CLOSE(close=fmt(m["close"])) if traded else T.CLOSE_ADJUSTED()
    smas = (
        T.SMAS(sma20=fmt(m["sma20"]), sma60=fmt(m["sma60"]), sma120=fmt(m["sma120"]))
        if traded
        else T.SMA60_RELATIVE(gap=pct(relative(m["sma60"], m["close"]), sign=True))
    )
    first = T.TREND(
        close=close, smas=smas, alignment=term(s.ma_alignment, T.ALIGNMENT_WORDS), gap=pct(m["gap_sma60"], sign=True),
        slope=pct(m["sma60_slope_10d"], sign=True), trend=term(trend), adx=fmt(m["adx14"], 1),
        strength=term(s.trend_strength, T.STRENGTH_WORDS),
    )  # fmt: skip
    momentum = T.MOMENTUM(
        macd=fmt(m["macd"]), signal=fmt(m["macd_signal"]), hist=fmt(m["macd_hist"]), state=term(s.macd, T.MACD_WORDS),
        rsi=fmt(m["rsi14"], 1), zone=term(s.rsi_zone, T.RSI_WORDS), pctb=fmt(m["bb_pctb"]),
        bollinger=term(s.bollinger, T.BOLLINGER_WORDS),
    )  # fmt: skip
    levels = T.LEVELS(
        atr=pct(m["atr_pct"]), support=lv["support"], support_from=term(s.support_from, T.SOURCE_WORDS),
        resistance=lv["resistance"], resistance_from=term(s.resistance_from, T.SOURCE_WORDS), basis=basis,
    )  # fmt: skip
    ranges = T.RANGES(**{k: lv[k] for k in ("buy_low", "buy_high", "sell_low", "sell_high", "stop")},
                      target_from=term(s.target_from, T.SOURCE_WORDS))  # fmt: skip
    return "\n\n".join((first, momentum, levels, ranges))
