"""Macro analyst: the market regime read from the CSI 300 and the breadth of the universe."""

from __future__ import annotations

import math

import pandas as pd

from ..market import Snapshot
from ..models import AgentResult
from .common import clip, data_confidence, fmt, make_result, pct, require, settle, stance_for
from .quant import TRADING_DAYS, ann_vol, percentile_rank, period_return, vol_regime
from .signals import MacroSignals

AGENT_ID = "macro"
MIN_INDEX_BARS = 61
TREND_MA = 200
BREADTH_MA = 60
VOL_WINDOW = 20
VOL_HISTORY = 3 * TRADING_DAYS
LIQUIDITY = {"bullish": "loose", "neutral": "neutral", "bearish": "tight"}


def _index_measures(close: pd.Series) -> dict[str, float | None]:
    rets = close.pct_change().dropna()
    vol_now = ann_vol(rets.iloc[-VOL_WINDOW:])
    rolling = rets.rolling(VOL_WINDOW).std().dropna().iloc[-VOL_HISTORY:] * math.sqrt(TRADING_DAYS)
    ma = float(close.iloc[-TREND_MA:].mean()) if len(close) >= TREND_MA else None
    year = close.iloc[-TRADING_DAYS:]
    return {
        "index_close": float(close.iloc[-1]),
        "ma200": ma,
        "trend_gap_200": float(close.iloc[-1] / ma - 1.0) if ma else None,
        "ret_60": period_return(close, 60),
        "vol_20": vol_now,
        "vol_pct": percentile_rank(rolling, vol_now) if vol_now is not None and len(rolling) >= 120 else None,
        "drawdown_1y": float(close.iloc[-1] / year.max() - 1.0),
    }


def _breadth(universe: dict[str, pd.Series]) -> tuple[float | None, int]:
    """Share of stocks closing above their 60-day average, and how many stocks had the history."""
    above = [float(s.iloc[-1] > s.iloc[-BREADTH_MA:].mean()) for s in universe.values() if len(s) >= BREADTH_MA]
    return (sum(above) / len(above) if above else None), len(above)


def _score(m: dict[str, float | None]) -> float:
    parts = [clip((m["ret_60"] or 0.0) * 150, -25, 25)]
    if m["trend_gap_200"] is not None:
        parts.append(clip(m["trend_gap_200"] * 250, -30, 30))
    if m["vol_pct"] is not None:  # calm markets carry risk appetite; stressed ones drain it
        parts.append((50.0 - m["vol_pct"]) * 0.3)
    parts.append(clip((m["drawdown_1y"] + 0.10) * 100, -20, 10))
    if m["breadth_60"] is not None and m["breadth_n"] >= 3:
        parts.append((m["breadth_60"] - 0.5) * 40)
    return sum(parts)


def _regime(m: dict[str, float | None]) -> str:
    ret = m["ret_60"] or 0.0
    gap = m["trend_gap_200"]
    if gap is None:
        return "bull" if ret > 0.05 else "bear" if ret < -0.05 else "range"
    if gap > 0 and ret > 0:
        return "bull"
    if gap < 0 and ret < 0:
        return "bear"
    return "range"


def analyze(snapshot: Snapshot, upstream: object = None, selected: object = None) -> AgentResult:
    index = snapshot.index_bars
    require(index is not None, f"macro: no CSI 300 data at {snapshot.as_of} (the bundled index starts 2020-01-02)")
    require(
        len(index) >= MIN_INDEX_BARS, f"macro: {len(index)} CSI 300 bars up to {snapshot.as_of}, need {MIN_INDEX_BARS}"
    )
    m = _index_measures(index["close"])
    m["breadth_60"], m["breadth_n"] = _breadth(snapshot.universe)
    score = settle(_score(m))
    confidence = 0.75 * data_confidence(snapshot, ("index_bars", "universe"))
    confidence *= 1.0 if m["ma200"] is not None else 0.8
    confidence *= 1.0 if m["breadth_n"] >= 3 else 0.85
    liquidity = LIQUIDITY[stance_for(score).value]
    regime = _regime(m)
    regime_of_vol = vol_regime(m["vol_pct"])
    vol_label = "n/a" if m["vol_pct"] is None else f"{m['vol_pct']:.0f}th percentile of 3 years: {regime_of_vol}"
    body = (
        f"CSI 300 at {fmt(m['index_close'])}: {pct(m['trend_gap_200'], sign=True)} vs its 200-day average "
        f"({fmt(m['ma200'])}), {pct(m['ret_60'], sign=True)} over 60 days, {pct(m['drawdown_1y'])} from its "
        f"1-year high. Realised 20-day volatility {pct(m['vol_20'])} ({vol_label}). Breadth: "
        f"{pct(m['breadth_60'], 0)} of {m['breadth_n']} bundled stocks above their 60-day average.\n\n"
        f"Regime **{regime}**; market-implied liquidity **{liquidity}** (the bundled data has no rates or "
        "credit series, so the stance is read from prices)."
    )
    evidence = [
        f"CSI 300 {pct(m['trend_gap_200'], sign=True)} vs MA200",
        f"CSI 300 60-day return {pct(m['ret_60'], sign=True)}",
        f"20-day vol {pct(m['vol_20'])} ({vol_label})",
        f"drawdown from 1-year high {pct(m['drawdown_1y'])}",
        f"breadth {pct(m['breadth_60'], 0)} of {m['breadth_n']} stocks above MA60",
    ]
    signals = MacroSignals(
        regime=regime, liquidity=liquidity, vol_regime=regime_of_vol, source="CSI 300 and bundled universe"
    )
    return make_result(AGENT_ID, score, confidence, body, signals=signals, metrics=m, evidence=evidence)
