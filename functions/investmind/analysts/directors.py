"""The research directors: confidence-weighted syntheses of the stage-1 analysts, graded S to D."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from ..errors import AgentError
from ..market import Snapshot
from ..models import AgentResult, AgentStatus
from ..roster import get_agent
from . import narratives
from . import texts_directors as T
from .common import fmt, grade_for, make_result, settle, signed, stance_for
from .signals import DirectorSignals, MomentumDirectorSignals, SkippedSignals
from .synthesis import CONFLICT, Blend, Inputs, blend, gather, input_rows
from .wording import Text, listing, localize, term, word

WEIGHTS: dict[str, dict[str, float]] = {
    # Value and its setting: the valuation call leads, the market and the sector frame it.
    "fundamental_director": {"macro": 0.25, "industry": 0.25, "fundamental": 0.5},
    # Price action leads; capital flow confirms or questions it.
    "momentum_director": {"technical": 0.6, "funds": 0.4},
}
ROLE_ZH = {"fundamental_director": "基本面研究总监", "momentum_director": "市场动量总监"}
TILT = 0.02
"""A 20-day relative return beyond 2% counts as the sector view moving."""
ODDS_HIGH, ODDS_LOW = 0.6, 0.35


def skipped(agent_id: str, inputs: Iterable[str]) -> AgentResult:
    """The result of an agent none of whose ``inputs`` the caller chose: its reason kept in English."""
    spec = get_agent(agent_id)
    reason = T.NOT_SELECTED.english(inputs=", ".join(inputs))
    title = Text(spec.title, spec.title_zh)()
    return AgentResult(
        agent_id=agent_id,
        stage=spec.stage,
        status=AgentStatus.skipped,
        summary=T.SKIPPED(title=title, reason=T.NOT_SELECTED(inputs=listing(inputs))),
        signals=SkippedSignals(reason=reason).model_dump(mode="json"),
    )


def _metric(inputs: Inputs, agent_id: str, key: str) -> float | None:
    result = inputs.used.get(agent_id)
    return result.metrics.get(key) if result is not None else None


def _signal(inputs: Inputs, agent_id: str, key: str) -> str | None:
    result = inputs.used.get(agent_id)
    return result.signals.get(key) if result is not None else None


def _fundamental_trend(inputs: Inputs) -> str:
    """Where the value view is heading: profit growth, the sector's last month against the index, the regime."""
    votes = 0
    growth = _metric(inputs, "fundamental", "profit_growth_yoy")
    if growth is not None and abs(growth) > 0.05:
        votes += 1 if growth > 0 else -1
    rs20 = _metric(inputs, "industry", "rs_index_20")
    if rs20 is not None and abs(rs20) > TILT:
        votes += 1 if rs20 > 0 else -1
    votes += {"bull": 1, "bear": -1}.get(_signal(inputs, "macro", "regime") or "", 0)
    return "improving" if votes >= 1 else "deteriorating" if votes <= -1 else "stable"


def _momentum_state(inputs: Inputs) -> str:
    """The MACD histogram's sign and direction over the last three bars: who leads, and is it gaining."""
    hist, prev = _metric(inputs, "technical", "macd_hist"), _metric(inputs, "technical", "macd_hist_prev")
    if hist is None or prev is None:
        return "n/a"
    if (hist > 0) != (prev > 0):
        return "turning up" if hist > 0 else "turning down"
    if hist > 0:
        return "bullish strengthening" if hist > prev else "bullish fading"
    return "bearish strengthening" if hist < prev else "bearish fading"


def breakout_odds(inputs: Inputs) -> float | None:
    """Heuristic odds (0..1, not a calibrated probability) that price clears its resistance soon.

    Logistic in a few points: nearness to resistance in ATRs, an up trend in a trending market,
    expanding volume, money flowing in, and room left before RSI is overbought.
    """
    tech = inputs.used.get("technical")
    m = tech.metrics if tech is not None else {}
    if not m.get("atr") or m.get("close") is None or m.get("resistance") is None:
        return None
    s = tech.signals
    gap_atr = max(0.0, (m["resistance"] - m["close"]) / m["atr"])
    x = 1.0 - 0.6 * gap_atr
    x += {"up": 1.0, "down": -1.5}.get(s.get("trend"), 0.0) * (1.0 if s.get("trend_strength") == "strong" else 0.6)
    rsi = m.get("rsi14")
    if rsi is not None:
        x += 0.5 if 50 <= rsi < 70 else -0.5 if rsi < 45 else 0.0
    volume = _metric(inputs, "funds", "volume_ratio_5_20")
    if volume is not None:
        x += 0.6 if volume > 1.2 else -0.3 if volume < 0.8 else 0.0
    obv = _metric(inputs, "funds", "obv_slope_20d")
    if obv is not None:
        x += 0.4 if obv > 0 else -0.4
    return 1.0 / (1.0 + math.exp(-x))


def _odds_label(odds: float | None) -> str:
    return "n/a" if odds is None else "high" if odds >= ODDS_HIGH else "low" if odds < ODDS_LOW else "medium"


def analyze_director(
    agent_id: str, snapshot: Snapshot, upstream: Mapping[str, AgentResult], selected: Iterable[str]
) -> AgentResult:
    weights = WEIGHTS[agent_id]
    inputs = gather(weights, upstream, selected)
    if not inputs.used:
        if not inputs.failed:
            return skipped(agent_id, weights)
        raise AgentError(f"{agent_id}: no upstream result to synthesise ({', '.join(inputs.failed)} failed)")
    mix = blend(inputs, weights)
    score = settle(mix.score)
    grade = grade_for(score)
    metrics: dict[str, float | None] = {"coverage": mix.coverage, "agreement": mix.agreement}
    for a, r in inputs.used.items():
        metrics[f"{a}_score"] = r.score
        metrics[f"{a}_confidence"] = r.confidence
    common = {
        "grade": grade,
        "conflict": mix.conflict,
        "inputs": {a: r.stance for a, r in inputs.used.items()},
        "failed": list(inputs.failed),
        "not_run": list(inputs.left_out),
    }
    if agent_id == "momentum_director":
        state = _momentum_state(inputs)
        metrics["breakout_odds"] = odds = breakout_odds(inputs)
        trend = {"bullish strengthening": 1, "turning up": 1, "bearish fading": 1}.get(state, 0)
        trend -= {"bearish strengthening": 1, "turning down": 1, "bullish fading": 1}.get(state, 0)
        signals: DirectorSignals = MomentumDirectorSignals(
            **common,
            trend="improving" if trend > 0 else "deteriorating" if trend < 0 else "stable",
            momentum_state=state,
            breakout_odds=_odds_label(odds),
        )
        outlook = T.OUTLOOK(state=term(state, T.STATE_WORDS), odds_label=term(signals.breakout_odds), odds=fmt(odds))
    else:
        signals = DirectorSignals(**common, trend=_fundamental_trend(inputs))
        outlook = ""
    body, evidence = _texts(inputs, weights, mix, score, signals, outlook)
    title = (get_agent(agent_id).title, ROLE_ZH[agent_id])
    narrative = narratives.director(title, stance_for(score), metrics, signals.model_dump())
    return make_result(
        agent_id, score, mix.confidence, body, signals=signals, metrics=metrics, evidence=evidence, narrative=narrative
    )


def _texts(
    inputs: Inputs, weights: Mapping[str, float], mix: Blend, score: float, signals: DirectorSignals, outlook: str
) -> tuple[str, list[str]]:
    """The body (the input table, then the blend) and the evidence, in the run's language."""
    conflict = T.CORE_CONFLICT(conflict=localize(mix.conflict, [CONFLICT])) if mix.conflict else T.AGREE()
    coverage = f"{mix.coverage:.0%}"
    body = T.SCORE(
        score=signed(score, 1), grade=signals.grade, trend=term(signals.trend), conflict=conflict, coverage=coverage,
        agreement=f"{mix.agreement:.2f}", outlook=outlook,
    ).rstrip()  # fmt: skip
    body = f"{input_rows(inputs, weights)}\n\n{body}"
    if inputs.failed:
        body += T.MISSING(agents=listing(inputs.failed))
    evidence = [
        T.EVIDENCE_INPUT(agent=a, stance=word(r.stance), score=signed(r.score), confidence=f"{r.confidence:.2f}")
        for a, r in inputs.used.items()
    ]
    evidence += [T.EVIDENCE_FAILED(agent=a) for a in inputs.failed]
    if mix.conflict:
        evidence.append(localize(mix.conflict, [CONFLICT]))
    evidence.append(T.EVIDENCE_SCORE(score=signed(score, 1), grade=signals.grade, trend=term(signals.trend),
                                     coverage=coverage))  # fmt: skip
    if outlook:
        evidence.append(outlook.replace("**", ""))
    return body, evidence


def fundamental_director(
    snapshot: Snapshot, upstream: Mapping[str, AgentResult], selected: Iterable[str]
) -> AgentResult:
    return analyze_director("fundamental_director", snapshot, upstream, selected)


def momentum_director(snapshot: Snapshot, upstream: Mapping[str, AgentResult], selected: Iterable[str]) -> AgentResult:
    return analyze_director("momentum_director", snapshot, upstream, selected)
