"""The risk directors: systemic (regime, beta, tail loss) and portfolio (volatility, Sharpe, sizing, stops)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import pandas as pd

from ..market import Snapshot
from ..market.adjust import adjusted_close
from ..models import AgentResult
from ..roster import get_agent
from . import narratives
from . import texts_risk as T
from .common import clip, data_confidence, fmt, make_result, pct, rank, require, settle, span, stance_for
from .quant import (
    TRADING_DAYS,
    adjusted_bars,
    ann_vol,
    max_drawdown,
    percentile_rank,
    period_return,
    price_levels,
    returns,
    vol_regime,
)
from .signals import PortfolioRiskSignals, SystemicRiskSignals
from .synthesis import gather
from .wording import term

MIN_RETURNS = 60
TARGET_VOL = 0.15
MAX_POSITION = 0.5
"""A single name never takes more than half the book, however calm it is."""
RISK_FREE = 0.02
STOP_ATR = 2.0
FAILED_INPUT_FACTOR = 0.95
CRASH_RISK = {"bullish": "low", "neutral": "moderate", "bearish": "elevated"}


def _returns_or_fail(snapshot: Snapshot, agent_id: str) -> pd.Series:
    rets = returns(snapshot.bars)
    require(
        len(rets) >= MIN_RETURNS, f"{agent_id}: {len(rets)} daily returns up to {snapshot.as_of}, need {MIN_RETURNS}"
    )
    return rets


def _upstream_factor(agent_id: str, upstream: Mapping[str, AgentResult], selected: Iterable[str]) -> float:
    inputs = gather(get_agent(agent_id).reads, upstream, selected)
    return FAILED_INPUT_FACTOR ** len(inputs.failed)


def _vol_regime(index_rets: pd.Series) -> tuple[float | None, float | None, str, int]:
    """The index's 20-day volatility, its percentile among up to 3 years of rolling values, the regime,
    and how many rolling values the percentile was taken over (0 when too few)."""
    vol = ann_vol(index_rets.iloc[-20:])
    rolling = index_rets.rolling(20).std().dropna().iloc[-3 * TRADING_DAYS :] * math.sqrt(TRADING_DAYS)
    rank = percentile_rank(rolling, vol) if vol is not None and len(rolling) >= 120 else None
    if rank is not None:
        regime = vol_regime(rank)
    else:  # too little index history for a percentile: CSI 300's long-run vol is about 20%
        regime = "n/a" if vol is None else "high" if vol > 0.25 else "low" if vol < 0.15 else "normal"
    return vol, rank, regime, len(rolling) if rank is not None else 0


def _beta(stock: pd.Series, index: pd.Series) -> tuple[float | None, float | None, int]:
    """Beta and correlation to the index over the last (up to) 252 common days, and how many there were."""
    joined = pd.concat([stock, index], axis=1, join="inner").dropna().iloc[-TRADING_DAYS:]
    if len(joined) < MIN_RETURNS:
        return None, None, len(joined)
    cov = joined.cov().to_numpy()
    return float(cov[0, 1] / cov[1, 1]), float(joined.corr().to_numpy()[0, 1]), len(joined)


def _systemic_measures(snapshot: Snapshot, rets: pd.Series) -> tuple[dict[str, float | None], str]:
    year = rets.iloc[-TRADING_DAYS:]
    cutoff = float(year.quantile(0.05))
    close = adjusted_close(snapshot.bars)
    m: dict[str, float | None] = {
        "var95_1d": -cutoff,
        "cvar95_1d": -float(year[year <= cutoff].mean()),
        "max_drawdown_1y": max_drawdown(close.iloc[-TRADING_DAYS - 1 :]),
        "max_drawdown_full": max_drawdown(close),
        "var_days": len(year),
        "drawdown_days": min(len(close), TRADING_DAYS + 1) - 1,  # days of moves in the 1-year drawdown
        "bars": len(close),
    }
    m["var95_10d"] = m["var95_1d"] * math.sqrt(10)  # square-root-of-time: a rough two-week horizon
    regime = "n/a"
    if snapshot.index_bars is not None:
        index_close = snapshot.index_bars["close"]
        index_rets = index_close.pct_change().dropna()
        m["index_vol_20d"], m["index_vol_pct"], regime, m["index_vol_days"] = _vol_regime(index_rets)
        m["beta_252d"], m["corr_252d"], m["beta_days"] = _beta(rets, index_rets)
        index_window = index_close.iloc[-3 * TRADING_DAYS :]
        m["index_max_drawdown_3y"] = max_drawdown(index_window)
        m["index_drawdown_days"] = len(index_window)
        if m["beta_252d"] is not None and m["index_max_drawdown_3y"] is not None:
            # Worst case through the market: the index's worst recent fall, passed on through beta.
            m["stress_loss"] = m["beta_252d"] * m["index_max_drawdown_3y"]
    return m, regime


def _systemic_text(m: dict[str, float | None], regime: str, crash: str, macro_tilt: float) -> tuple[str, list[str]]:
    vol_days, beta = m.get("index_vol_days"), m.get("beta_252d")
    vol_window = T.VOL_WINDOW(days=span(int(vol_days))) if vol_days else T.NO_VOL_WINDOW()
    beta_window = T.BETA_WINDOW(days=f"{m['beta_days']:.0f}") if "beta_days" in m else T.NO_BETA_WINDOW()
    index_window = T.INDEX_WINDOW(days=span(int(m["index_drawdown_days"]))) if m.get("index_drawdown_days") else "n/a"
    regime_text = term(regime, T.VOL_WORDS)
    first = T.SYSTEMIC_VOL(
        regime=regime_text, vol=pct(m.get("index_vol_20d")), rank=rank(m.get("index_vol_pct")), vol_window=vol_window,
        beta=fmt(beta), corr=fmt(m.get("corr_252d")), beta_window=beta_window,
    )  # fmt: skip
    tail = T.SYSTEMIC_TAIL(
        var=pct(m["var95_1d"], 2), var10=pct(m["var95_10d"], 1), cvar=pct(m["cvar95_1d"], 2),
        var_days=span(int(m["var_days"])), index_window=index_window,
        index_drawdown=pct(m.get("index_max_drawdown_3y")), stress=pct(m.get("stress_loss")),
        drawdown=pct(m["max_drawdown_1y"]), drawdown_days=span(int(m["drawdown_days"])),
        drawdown_full=pct(m["max_drawdown_full"]), bars=f"{m['bars']:.0f}", tilt=f"{macro_tilt:+.1f}",
    )  # fmt: skip
    body = f"{first}\n\n{tail}\n\n{T.CRASH(crash=term(crash, T.CRASH_WORDS))}"
    evidence = [
        T.EVIDENCE_REGIME(regime=regime_text),
        T.EVIDENCE_BETA(beta=fmt(beta), corr=fmt(m.get("corr_252d")), beta_window=beta_window),
        T.EVIDENCE_VAR(var=pct(m["var95_1d"], 2), cvar=pct(m["cvar95_1d"], 2)),
        T.EVIDENCE_DRAWDOWN(drawdown=pct(m["max_drawdown_1y"]), drawdown_full=pct(m["max_drawdown_full"])),
        T.EVIDENCE_STRESS(stress=pct(m.get("stress_loss"))),
    ]
    return body, evidence


def systemic_risk_director(
    snapshot: Snapshot, upstream: Mapping[str, AgentResult], selected: Iterable[str]
) -> AgentResult:
    agent_id = "systemic_risk_director"
    m, regime = _systemic_measures(snapshot, _returns_or_fail(snapshot, agent_id))
    macro = upstream.get("macro")
    macro_tilt = 0.2 * macro.score * macro.confidence if macro and macro.status == "succeeded" else 0.0
    score = {"high": -25.0, "low": 10.0}.get(regime, 0.0)
    score += clip((0.025 - m["var95_1d"]) * 1000, -25, 15)
    score += clip((m["max_drawdown_1y"] + 0.25) * 60, -20, 10)
    beta = m.get("beta_252d")
    if beta is not None:
        score += -10 if beta > 1.2 and regime == "high" else 5 if beta < 0.8 else 0
    score = settle(score + macro_tilt)
    crash = CRASH_RISK[stance_for(score).value]
    confidence = 0.75 * data_confidence(snapshot, ("bars", "index_bars"))
    confidence *= (1.0 if snapshot.index_bars is not None else 0.7) * _upstream_factor(agent_id, upstream, selected)
    body, evidence = _systemic_text(m, regime, crash, macro_tilt)
    signals = SystemicRiskSignals(vol_regime=regime, crash_risk=crash)
    narrative = narratives.systemic(stance_for(score), m, signals.model_dump())
    return make_result(
        agent_id, score, confidence, body, signals=signals, metrics=m, evidence=evidence, narrative=narrative
    )


def vol_target_size(rets: pd.Series) -> tuple[float | None, float | None]:
    """Annualised 1-year volatility and the position (fraction of the book) that targets TARGET_VOL."""
    vol = ann_vol(rets.iloc[-TRADING_DAYS:])
    return vol, (min(TARGET_VOL / vol, MAX_POSITION) if vol else None)


def portfolio_risk_director(
    snapshot: Snapshot, upstream: Mapping[str, AgentResult], selected: Iterable[str]
) -> AgentResult:
    agent_id = "portfolio_risk_director"
    rets = _returns_or_fail(snapshot, agent_id)
    year = rets.iloc[-TRADING_DAYS:]
    close = adjusted_close(snapshot.bars)
    vol, size = vol_target_size(rets)
    levels = price_levels(adjusted_bars(snapshot.bars))
    atr = levels["atr"]
    m: dict[str, float | None] = {
        "ann_vol": vol,
        "ann_return": float(year.mean() * TRADING_DAYS),  # the arithmetic mean daily return x 252 (Sharpe's)
        "return_window": period_return(close, len(year)),  # what the stock really did over those days
        "window_days": len(year),
        "max_drawdown_1y": max_drawdown(close.iloc[-TRADING_DAYS - 1 :]),
        "max_drawdown_full": max_drawdown(close),
        "position_pct": size * 100 if size is not None else None,
        "close": levels["close"],
        "atr14": atr,
        "stop_loss": levels["close"] - STOP_ATR * atr if atr else None,
    }
    m["sharpe_1y"] = (m["ann_return"] - RISK_FREE) / vol if vol else None
    m["stop_pct"] = m["stop_loss"] / levels["close"] - 1.0 if m["stop_loss"] else None
    score = clip((m["sharpe_1y"] or 0.0) * 20, -40, 40)
    score += clip((m["max_drawdown_1y"] + 0.20) * 80, -25, 10)
    score += clip((0.30 - (vol or 0.30)) * 50, -15, 10)
    score = settle(score)
    level = "n/a" if vol is None else "low" if vol < 0.25 else "medium" if vol < 0.40 else "high"
    confidence = 0.75 * data_confidence(snapshot, ("bars",)) * _upstream_factor(agent_id, upstream, selected)
    confidence *= 1.0 if len(year) >= TRADING_DAYS else 0.8
    body, evidence = _portfolio_text(m, level, len(close))
    signals = PortfolioRiskSignals(
        risk_level=level, sizing=f"volatility target {TARGET_VOL:.0%}", stop_rule=f"close - {STOP_ATR:g} x ATR(14)"
    )
    narrative = narratives.portfolio(stance_for(score), m, signals.model_dump())
    return make_result(
        agent_id, score, confidence, body, signals=signals, metrics=m, evidence=evidence, narrative=narrative
    )


def _portfolio_text(m: dict[str, float | None], level: str, bars: int) -> tuple[str, list[str]]:
    days = int(m["window_days"])
    first = T.PORTFOLIO_RISK(
        vol=pct(m["ann_vol"]), days=span(days), level=term(level), ret=pct(m["return_window"], sign=True),
        ann_return=pct(m["ann_return"], sign=True), sharpe=fmt(m["sharpe_1y"]), rf=pct(RISK_FREE, 0),
        drawdown=pct(m["max_drawdown_1y"]), drawdown_full=pct(m["max_drawdown_full"]), bars=bars,
    )  # fmt: skip
    size = T.PORTFOLIO_SIZE(
        size=fmt(m["position_pct"], 1), target=pct(TARGET_VOL, 0), cap=pct(MAX_POSITION, 0), stop=fmt(m["stop_loss"]),
        close=fmt(m["close"]), k=f"{STOP_ATR:g}", atr=fmt(m["atr14"]), stop_pct=pct(m["stop_pct"], sign=True),
    )  # fmt: skip
    evidence = [
        T.EVIDENCE_VOL(vol=pct(m["ann_vol"]), days=days),
        T.EVIDENCE_RETURN(ret=pct(m["return_window"], sign=True), days=days, sharpe=fmt(m["sharpe_1y"])),
        T.EVIDENCE_DRAWDOWN(drawdown=pct(m["max_drawdown_1y"]), drawdown_full=pct(m["max_drawdown_full"])),
        T.EVIDENCE_SIZE(size=fmt(m["position_pct"], 1)),
        T.EVIDENCE_STOP(stop=fmt(m["stop_loss"]), stop_pct=pct(m["stop_pct"], sign=True)),
    ]
    return f"{first}\n\n{size}", evidence
