"""Technical analyst: trend, momentum, volatility bands, support and resistance from daily bars."""

from __future__ import annotations

from ta.momentum import RSIIndicator
from ta.trend import MACD, SMAIndicator
from ta.volatility import BollingerBands

from ..market import Snapshot
from ..models import AgentResult
from .common import clip, data_confidence, finite, fmt, make_result, pct, require, settle
from .quant import INDICATOR_TAIL, adjusted_bars, last, price_levels

AGENT_ID = "technical"
MIN_BARS = 60
SLOPE_LAG = 10
"""Bars over which the 60-day average's direction is judged."""


def _measure(snapshot: Snapshot) -> dict[str, float | None]:
    adjusted = adjusted_bars(snapshot.bars)
    close = adjusted["close"].iloc[-INDICATOR_TAIL:]
    sma60 = SMAIndicator(close, 60).sma_indicator()
    macd = MACD(close)
    hist = macd.macd_diff().dropna()
    levels = price_levels(adjusted)
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
    }
    m["atr_pct"] = m["atr"] / m["close"] if m["atr"] else None
    m["gap_sma60"] = m["close"] / m["sma60"] - 1.0 if m["sma60"] else None
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


def _signals(m: dict[str, float | None], trend: str) -> dict[str, str]:
    hist, prev = m["macd_hist"], m["macd_hist_prev"]
    macd = "n/a" if hist is None else "bullish" if hist > 0 else "bearish"
    if hist is not None and prev is not None and (hist > 0) != (prev > 0):
        macd += " cross"  # the histogram changed sign within the last three bars
    rsi = m["rsi14"]
    pctb = m["bb_pctb"]
    smas = [m["sma20"], m["sma60"], m["sma120"]]
    alignment = "n/a"
    if None not in smas:
        alignment = "bullish" if smas[0] > smas[1] > smas[2] else "bearish" if smas[0] < smas[1] < smas[2] else "mixed"
    return {
        "trend": trend,
        "macd": macd,
        "rsi_zone": "n/a" if rsi is None else "overbought" if rsi >= 70 else "oversold" if rsi <= 30 else "neutral",
        "bollinger": "n/a" if pctb is None else "above upper" if pctb > 1 else "below lower" if pctb < 0 else "inside",
        "ma_alignment": alignment,
    }


def analyze(snapshot: Snapshot, upstream: object = None, selected: object = None) -> AgentResult:
    require(
        len(snapshot.bars) >= MIN_BARS, f"technical: {len(snapshot.bars)} bars up to {snapshot.as_of}, need {MIN_BARS}"
    )
    m = _measure(snapshot)
    trend = _trend(m)
    signals = _signals(m, trend)
    score = settle(_score(m, trend))
    confidence = 0.7 * data_confidence(snapshot, ("bars",))
    if (trend == "up" and signals["macd"].startswith("bullish")) or (
        trend == "down" and signals["macd"].startswith("bearish")
    ):
        confidence += 0.1  # trend and momentum agree
    confidence *= 1.0 if m["sma120"] is not None else 0.85
    body = (
        f"Close {fmt(m['close'])}; SMA20 {fmt(m['sma20'])}, SMA60 {fmt(m['sma60'])}, SMA120 {fmt(m['sma120'])} "
        f"(alignment {signals['ma_alignment']}); close {pct(m['gap_sma60'], sign=True)} vs SMA60, whose 10-day "
        f"slope is {pct(m['sma60_slope_10d'], sign=True)}. Trend **{trend}**.\n\n"
        f"MACD {fmt(m['macd'])} vs signal {fmt(m['macd_signal'])} (histogram {fmt(m['macd_hist'])}, "
        f"{signals['macd']}); RSI(14) {fmt(m['rsi14'], 1)} ({signals['rsi_zone']}); Bollinger %b "
        f"{fmt(m['bb_pctb'])} ({signals['bollinger']}).\n\n"
        f"ATR(14) {fmt(m['atr'])} ({pct(m['atr_pct'])} of price); support {fmt(m['support'])} and resistance "
        f"{fmt(m['resistance'])} (20-day swing low/high, prices adjusted to today's terms)."
    )
    evidence = [
        f"trend {trend}: close {fmt(m['close'])} vs SMA20 {fmt(m['sma20'])} / SMA60 {fmt(m['sma60'])}",
        f"MACD histogram {fmt(m['macd_hist'])} ({signals['macd']})",
        f"RSI(14) {fmt(m['rsi14'], 1)}",
        f"Bollinger %b {fmt(m['bb_pctb'])}",
        f"support {fmt(m['support'])} / resistance {fmt(m['resistance'])}",
        f"ATR(14) {fmt(m['atr'])} ({pct(m['atr_pct'])})",
    ]
    return make_result(AGENT_ID, score, confidence, body, signals=signals, metrics=m, evidence=evidence)
