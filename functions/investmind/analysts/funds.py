"""Capital-flow analyst: volume, turnover and accumulation/distribution read from daily bars."""

from __future__ import annotations

import math

import pandas as pd
from ta.volume import AccDistIndexIndicator, MFIIndicator

from ..market import Snapshot
from ..models import AgentResult
from . import narratives
from . import texts_funds as T
from .common import clip, data_confidence, fmt, make_result, pct, require, settle, stance_for
from .quant import INDICATOR_TAIL, PRICE_RTOL, adjusted_bars, last, on_balance_volume, period_return, slope
from .signals import FundsSignals
from .wording import term

AGENT_ID = "funds"
MIN_BARS = 30
FLOW_WINDOW = 20
TURN_WINDOW = 60
INTENT = {"bullish": "accumulate", "neutral": "wait", "bearish": "distribute"}
STRENGTH_Z = 1.0
"""A 5-day move beyond one 5-day standard deviation is a strong (or weak) short-term tape."""


def _turnover(bars: pd.DataFrame) -> tuple[float | None, float | None]:
    """Mean turnover (%) of the last 5 days and of the last 60, when the source has turnover."""
    turn = bars["turn"].iloc[-TURN_WINDOW:].dropna()
    if len(turn) < TURN_WINDOW * 2 // 3:
        return None, None
    return float(turn.iloc[-5:].mean()), float(turn.mean())


def _measure(snapshot: Snapshot) -> dict[str, float | None]:
    adj = adjusted_bars(snapshot.bars).iloc[-INDICATOR_TAIL:]
    high, low, close, volume = adj["high"], adj["low"], adj["close"], adj["volume"]
    vol20 = float(volume.iloc[-FLOW_WINDOW:].mean())
    rets = close.pct_change().iloc[-FLOW_WINDOW:]
    flow = volume.iloc[-FLOW_WINDOW:]
    obv = on_balance_volume(close, volume)
    adi = AccDistIndexIndicator(high, low, close, volume).acc_dist_index()
    obv_slope, ad_slope = slope(obv, FLOW_WINDOW), slope(adi, FLOW_WINDOW)
    up, down = float(flow[rets > PRICE_RTOL].sum()), float(flow[rets < -PRICE_RTOL].sum())
    turn5, turn60 = _turnover(snapshot.bars)
    ret5 = period_return(close, 5)
    # The 5-day move in units of its own recent noise: comparable across calm and wild stocks.
    noise5 = float(rets.std(ddof=1)) * math.sqrt(5) if len(rets.dropna()) >= 10 else None
    return {
        "volume_ratio_5_20": float(volume.iloc[-5:].mean()) / vol20 if vol20 else None,
        "turnover_5d": turn5,
        "turnover_60d": turn60,
        "turnover_ratio": turn5 / turn60 if turn5 is not None and turn60 else None,
        # Slopes in average-daily-volumes per day, so stocks of any size compare.
        "obv_slope_20d": obv_slope / vol20 if obv_slope is not None and vol20 else None,
        "ad_slope_20d": ad_slope / vol20 if ad_slope is not None and vol20 else None,
        "mfi14": last(MFIIndicator(high, low, close, volume, 14).money_flow_index()),
        "up_down_volume": up / down if down else None,
        "ret_5": ret5,
        "ret_20": period_return(close, 20),
        "strength_5d": ret5 / noise5 if ret5 is not None and noise5 else None,
    }


def _score(m: dict[str, float | None]) -> float:
    score = clip((m["obv_slope_20d"] or 0.0) * 60, -25, 25)
    score += clip((m["ad_slope_20d"] or 0.0) * 60, -20, 20)
    if m["up_down_volume"]:
        score += clip(math.log(m["up_down_volume"]) * 30, -20, 20)
    if m["mfi14"] is not None:
        score += clip((m["mfi14"] - 50.0) * 0.5, -15, 15)
    # Heavy volume or turnover says which side is in a hurry: the side the price moved to.
    if (m["volume_ratio_5_20"] or 0.0) > 1.3 and m["ret_5"]:
        score += math.copysign(10, m["ret_5"])
    if (m["turnover_ratio"] or 0.0) > 1.5 and m["ret_20"]:
        score += math.copysign(5, m["ret_20"])
    score += clip((m["strength_5d"] or 0.0) * 4, -8, 8)
    return score


def analyze(snapshot: Snapshot, upstream: object = None, selected: object = None) -> AgentResult:
    require(len(snapshot.bars) >= MIN_BARS, f"funds: {len(snapshot.bars)} bars up to {snapshot.as_of}, need {MIN_BARS}")
    m = _measure(snapshot)
    score = settle(_score(m))
    intent = INTENT[stance_for(score).value]
    has_turnover = m["turnover_ratio"] is not None
    signals = _signals(m, intent)
    confidence = 0.65 * data_confidence(snapshot, ("bars",)) * (1.0 if has_turnover else 0.9)
    body, evidence = _body(m, signals, intent), _evidence(m)
    narrative = narratives.funds(stance_for(score), m, signals.model_dump())
    return make_result(
        AGENT_ID, score, confidence, body, signals=signals, metrics=m, evidence=evidence, narrative=narrative
    )


def _body(m: dict[str, float | None], signals: FundsSignals, intent: str) -> str:
    turnover = (
        T.TURNOVER(t5=fmt(m["turnover_5d"]), t60=fmt(m["turnover_60d"]), ratio=fmt(m["turnover_ratio"]))
        if m["turnover_ratio"] is not None
        else T.NO_TURNOVER()
    )
    volume = T.VOLUME(ratio=fmt(m["volume_ratio_5_20"]), ret=pct(m["ret_5"], sign=True), turnover=turnover)
    flow = T.FLOW(
        obv=fmt(m["obv_slope_20d"]), ad=fmt(m["ad_slope_20d"]), mfi=fmt(m["mfi14"], 1), up_down=fmt(m["up_down_volume"])
    )
    strength = T.STRENGTH(
        ret=pct(m["ret_5"], sign=True), z=fmt(m["strength_5d"]),
        short_term=term(signals.short_term, T.SHORT_TERM_WORDS), intent=term(intent),
    )  # fmt: skip
    return "\n\n".join((volume, flow, strength))


def _evidence(m: dict[str, float | None]) -> list[str]:
    evidence = [
        T.EVIDENCE_VOLUME(ratio=fmt(m["volume_ratio_5_20"])),
        T.EVIDENCE_SLOPES(obv=fmt(m["obv_slope_20d"]), ad=fmt(m["ad_slope_20d"])),
        T.EVIDENCE_MFI(mfi=fmt(m["mfi14"], 1)),
        T.EVIDENCE_UP_DOWN(up_down=fmt(m["up_down_volume"])),
        T.EVIDENCE_MOVE(ret=pct(m["ret_5"], sign=True), z=fmt(m["strength_5d"])),
    ]
    if m["turnover_ratio"] is not None:
        evidence.append(T.EVIDENCE_TURNOVER(ratio=fmt(m["turnover_ratio"])))
    return evidence


def _signals(m: dict[str, float | None], intent: str) -> FundsSignals:
    z, ratio, turnover = m["strength_5d"], m["volume_ratio_5_20"], m["turnover_ratio"]
    return FundsSignals(
        intent=intent,
        short_term="n/a" if z is None else "strong" if z >= STRENGTH_Z else "weak" if z <= -STRENGTH_Z else "neutral",
        volume="n/a" if ratio is None else "expanding" if ratio > 1.3 else "contracting" if ratio < 0.7 else "normal",
        obv=_direction(m["obv_slope_20d"]),
        accumulation_distribution=_direction(m["ad_slope_20d"]),
        mfi_zone=_mfi_zone(m["mfi14"]),
        turnover=_turnover_label(turnover),
    )


def _turnover_label(ratio: float | None) -> str:
    if ratio is None:
        return "n/a"
    return "elevated" if ratio > 1.5 else "subdued" if ratio < 0.6 else "normal"


def _direction(value: float | None, flat: float = 0.05) -> str:
    if value is None:
        return "n/a"
    return "rising" if value > flat else "falling" if value < -flat else "flat"


def _mfi_zone(mfi: float | None) -> str:
    if mfi is None:
        return "n/a"
    return "overbought" if mfi >= 80 else "oversold" if mfi <= 20 else "neutral"
