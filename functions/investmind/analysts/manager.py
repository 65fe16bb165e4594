"""The investment decision manager: one Decision from the directors' scores, within the risk caps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import AgentError
from ..market import Snapshot
from ..models import AgentResult, AgentStatus, Decision, Stance
from ..roster import get_agent
from . import decision_text as text
from .common import grade_for, make_result, settle, stance_for
from .directors import WEIGHTS as DIRECTOR_WEIGHTS
from .quant import traded_prices
from .signals import ManagerSignals
from .sizing import TradePlan, base_position, levels, position_caps, trade_plan
from .synthesis import Blend, Inputs, blend, gather

AGENT_ID = "investment_gm"
WEIGHTS = {
    "fundamental_director": 0.35,
    "momentum_director": 0.35,
    "systemic_risk_director": 0.15,
    "portfolio_risk_director": 0.15,
}
ACT_AT = 20.0
STRONG_AT = 50.0
STAND_IN_FACTOR = 0.8
"""Confidence kept when a failed director is replaced by a blend of its own inputs."""
HOLD_FRACTION = 0.5
"""A HOLD at score 0 keeps half a BUY's size; the size runs linearly from 0 at -ACT_AT to a full BUY at +ACT_AT."""
STRONG_DISSENT = 40.0
REQUIRED = ("technical", "systemic_risk_director", "portfolio_risk_director")
"""Without these a decision has no trend and levels, no crash-risk cap, or no size and stop: their failure
(not their being left out by the caller) leaves the analysis without a trade decision."""
MIN_SUCCEEDED_SHARE = 0.7
"""At least this share of the agents expected to run (selected analysts, directors, risk directors) must
succeed for a trade decision."""


def action_for(score: float) -> tuple[str, str]:
    """(action, rating) for a manager score: the one mapping, also used to bound an LLM's adjustment."""
    if score >= ACT_AT:
        return "BUY", "Buy" if score >= STRONG_AT else "Overweight"
    if score <= -ACT_AT:
        return "SELL", "Sell" if score <= -STRONG_AT else "Underweight"
    return "HOLD", "Hold"


def _stand_in(director: str, upstream: Mapping[str, AgentResult], selected: Iterable[str]) -> AgentResult | None:
    inputs = gather(DIRECTOR_WEIGHTS[director], upstream, selected)
    if not inputs.used:
        return None
    mix = blend(inputs, DIRECTOR_WEIGHTS[director])
    score = settle(mix.score)
    return AgentResult(
        agent_id=director,
        stage=get_agent(director).stage,
        status=AgentStatus.succeeded,
        stance=stance_for(score),
        score=score,
        confidence=round(mix.confidence * STAND_IN_FACTOR, 2),
        summary=f"stand-in for the failed {director}: a blend of {', '.join(inputs.used)}",
    )


def _blocks(
    everything: Inputs, upstream: Mapping[str, AgentResult], selected: Iterable[str]
) -> tuple[Inputs, list[str]]:
    used = {a: r for a, r in everything.used.items() if a in WEIGHTS}
    failed = [a for a in everything.failed if a in WEIGHTS]
    notes = []
    for director in DIRECTOR_WEIGHTS:
        if director in failed and (stand_in := _stand_in(director, upstream, selected)) is not None:
            used[director] = stand_in
            failed.remove(director)
            notes.append(text.STAND_IN.english(director=director, share=f"{STAND_IN_FACTOR:.0%}"))
    left_out = tuple(a for a in everything.left_out if a in WEIGHTS)
    return Inputs(used, tuple(failed), left_out), notes


def _capped_score(used: Mapping[str, AgentResult], score: float) -> tuple[float, list[str]]:
    """Elevated crash risk keeps a positive view out of the strong band (no 'Buy', at most 'Overweight')."""
    systemic = used.get("systemic_risk_director")
    if systemic and systemic.stance == Stance.bearish and score >= STRONG_AT:
        return STRONG_AT - 0.1, [text.CRASH_RATING_CAP.english()]
    return score, []


def _horizon(blocks: Inputs) -> int:
    def pull(agent_id: str) -> float:
        r = blocks.used.get(agent_id)
        return abs(WEIGHTS[agent_id] * r.confidence * r.score) if r else 0.0

    value, momentum = pull("fundamental_director"), pull("momentum_director")
    share = value / (value + momentum) if value + momentum else 0.5
    # Calendar days: a momentum-led view lasts about a month, a value-led one about half a year.
    return round(30 + 150 * share)


def _dissent(action: str, used: Mapping[str, AgentResult]) -> list[str]:
    if action == "BUY":
        return [a for a, r in used.items() if r.stance == Stance.bearish]
    if action == "SELL":
        return [a for a, r in used.items() if r.stance == Stance.bullish]
    return [a for a, r in used.items() if abs(r.score) >= STRONG_DISSENT]


def missing_for_a_decision(everything: Inputs) -> list[str]:
    """The failed agents that leave too little to decide on (``REQUIRED``, ``MIN_SUCCEEDED_SHARE``), or []."""
    required = [a for a in REQUIRED if a in everything.failed]
    expected = len(everything.used) + len(everything.failed)
    if required or (expected and len(everything.used) / expected < MIN_SUCCEEDED_SHARE):
        return list(everything.failed)
    return []


def hold_scale(score: float) -> float:
    """A HOLD's share of a full BUY size: 0 at -ACT_AT, HOLD_FRACTION at 0, 1 at +ACT_AT (so size follows the score)."""
    return max(0.0, min(1.0, HOLD_FRACTION * (1.0 + score / ACT_AT)))


@dataclass(frozen=True, slots=True)
class _Plan:
    action: str
    rating: str
    score: float
    confidence: float
    position: float
    base: float
    base_source: str
    factor: float
    scale: float
    ceiling: float | None
    levels: TradePlan
    horizon: int
    caps: list[str]
    missing: list[str]

    @property
    def tradeable(self) -> bool:
        return not self.missing


def _plan(snapshot: Snapshot, blocks: Inputs, everything: Inputs, mix: Blend) -> _Plan:
    score, caps = _capped_score(blocks.used, settle(mix.score))
    score = settle(score)
    confidence = round(mix.confidence, 2)
    missing = missing_for_a_decision(everything)
    action, rating = action_for(score) if not missing else ("HOLD", "Hold")
    base, base_source = base_position(snapshot, blocks.used)
    factor, ceiling, held_caps = position_caps(blocks.used)
    scale = 1.0 if action == "BUY" else hold_scale(score)
    position = 0.0
    if action != "SELL" and not missing:  # the caps only bound what is held
        caps += held_caps
        position = base * confidence * factor * scale
        position = round(min(position, ceiling) if ceiling is not None else position, 1)
    marks = levels(snapshot, everything.used)
    traded = _traded(snapshot, everything)
    plan = trade_plan(action, marks, traded) if not missing else TradePlan("traded" if traded else "adjusted")
    return _Plan(
        action,
        rating,
        score,
        confidence,
        position,
        base,
        base_source,
        factor,
        scale,
        ceiling,
        plan,
        _horizon(blocks),
        caps,
        missing,
    )


def _traded(snapshot: Snapshot, everything: Inputs) -> bool:
    technical = everything.used.get("technical")
    if technical is not None and technical.metrics.get("traded_prices") is not None:
        return bool(technical.metrics["traded_prices"])
    return traded_prices(snapshot.bars)


def _decision(plan: _Plan, rationale: str, dissent: list[str], everything: Inputs) -> Decision:
    lv = plan.levels
    return Decision(
        action=plan.action,
        rating=plan.rating,
        position_pct=plan.position,
        entry_range=lv.entry,
        stop_loss=lv.stop,
        take_profit=lv.target,
        horizon_days=plan.horizon,
        confidence=plan.confidence,
        rationale=rationale,
        dissent=dissent,
        degraded=everything.degraded,
        tradeable=plan.tradeable,
        missing=plan.missing,
        price_basis=lv.basis,
        entry_range_pct=lv.entry_pct,
        stop_loss_pct=lv.stop_pct,
        take_profit_pct=lv.target_pct,
    )


def _metrics(snapshot: Snapshot, plan: _Plan, mix: Blend, blocks: Inputs, everything: Inputs) -> dict:
    lv = plan.levels
    return {
        "position_pct": plan.position,
        "base_position_pct": plan.base,
        "close": snapshot.close,
        "stop_loss": lv.stop,
        "take_profit": lv.target,
        "entry_low": lv.entry[0] if lv.entry else None,
        "entry_high": lv.entry[1] if lv.entry else None,
        "stop_loss_pct": lv.stop_pct,
        "take_profit_pct": lv.target_pct,
        "horizon_days": plan.horizon,
        "coverage": mix.coverage,
        "agreement": mix.agreement,
        "succeeded": len(everything.used),
        "expected": len(everything.used) + len(everything.failed),
        **{f"{a}_score": r.score for a, r in blocks.used.items()},
    }


def investment_gm(snapshot: Snapshot, upstream: Mapping[str, AgentResult], selected: Iterable[str]) -> AgentResult:
    selected = list(selected)
    everything = gather(get_agent(AGENT_ID).reads, upstream, selected)
    blocks, notes = _blocks(everything, upstream, selected)
    if not blocks.used:
        raise AgentError(f"{AGENT_ID}: no director result to decide on ({', '.join(blocks.failed) or 'none ran'})")
    mix = blend(blocks, WEIGHTS)
    plan = _plan(snapshot, blocks, everything, mix)
    dissent = _dissent(plan.action, everything.used)
    rationale = text.rationale(plan, blocks, notes, dissent, everything, ACT_AT)
    signals = ManagerSignals(
        action=plan.action,
        rating=plan.rating,
        grade=grade_for(plan.score),
        caps=plan.caps,
        notes=notes,
        dissent=dissent,
        degraded=everything.degraded,
        conflict=mix.conflict,
        failed=list(everything.failed),
    )
    return make_result(
        AGENT_ID,
        plan.score,
        plan.confidence,
        rationale + "\n\n" + text.table(blocks, WEIGHTS),
        signals=signals,
        metrics=_metrics(snapshot, plan, mix, blocks, everything),
        evidence=text.evidence(plan, blocks),
        narrative=text.narrative(plan, stance_for(plan.score), blocks.used),
        decision=_decision(plan, rationale, dissent, everything),
    )
