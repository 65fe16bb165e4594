"""The investment decision manager: one Decision from the directors' scores, within the risk caps."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import AgentError
from ..market import Snapshot
from ..models import AgentResult, AgentStatus, Decision, Stance
from ..roster import get_agent
from .common import fmt, grade_for, make_result, settle, signed, stance_for
from .directors import WEIGHTS as DIRECTOR_WEIGHTS
from .signals import ManagerSignals
from .sizing import base_position, levels, position_caps, trade_plan
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
STRONG_DISSENT = 40.0


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
            notes.append(f"{director} failed; its inputs stand in at {STAND_IN_FACTOR:.0%} confidence")
    left_out = tuple(a for a in everything.left_out if a in WEIGHTS)
    return Inputs(used, tuple(failed), left_out), notes


def _capped_score(used: Mapping[str, AgentResult], score: float) -> tuple[float, list[str]]:
    """Elevated crash risk keeps a positive view out of the strong band (no 'Buy', at most 'Overweight')."""
    systemic = used.get("systemic_risk_director")
    if systemic and systemic.stance == Stance.bearish and score >= STRONG_AT:
        return STRONG_AT - 0.1, ["crash risk elevated: rating capped at Overweight"]
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
    ceiling: float | None
    entry: tuple[float, float] | None
    stop: float | None
    target: float | None
    horizon: int
    caps: list[str]


def _plan(snapshot: Snapshot, blocks: Inputs, everything: Inputs, mix: Blend) -> _Plan:
    score, caps = _capped_score(blocks.used, settle(mix.score))
    score = settle(score)
    confidence = round(mix.confidence, 2)
    action, rating = action_for(score)
    base, base_source = base_position(snapshot, blocks.used)
    factor, ceiling, held_caps = position_caps(blocks.used)
    position = 0.0
    if action != "SELL":  # the caps only bound what is held
        caps += held_caps
        position = base * confidence * factor * (HOLD_FRACTION if action == "HOLD" else 1.0)
        position = round(min(position, ceiling) if ceiling is not None else position, 1)
    entry, stop, target = trade_plan(action, levels(snapshot, everything.used))
    return _Plan(
        action,
        rating,
        score,
        confidence,
        position,
        base,
        base_source,
        factor,
        ceiling,
        entry,
        stop,
        target,
        _horizon(blocks),
        caps,
    )


def investment_gm(snapshot: Snapshot, upstream: Mapping[str, AgentResult], selected: Iterable[str]) -> AgentResult:
    selected = list(selected)
    everything = gather(get_agent(AGENT_ID).reads, upstream, selected)
    blocks, notes = _blocks(everything, upstream, selected)
    if not blocks.used:
        raise AgentError(f"{AGENT_ID}: no director result to decide on ({', '.join(blocks.failed) or 'none ran'})")
    mix = blend(blocks, WEIGHTS)
    plan = _plan(snapshot, blocks, everything, mix)
    dissent = _dissent(plan.action, everything.used)
    rationale = _rationale(plan, blocks, notes, dissent, everything)
    decision = Decision(
        action=plan.action,
        rating=plan.rating,
        position_pct=plan.position,
        entry_range=plan.entry,
        stop_loss=plan.stop,
        take_profit=plan.target,
        horizon_days=plan.horizon,
        confidence=plan.confidence,
        rationale=rationale,
        dissent=dissent,
        degraded=everything.degraded,
    )
    metrics = {
        "position_pct": plan.position,
        "base_position_pct": plan.base,
        "close": snapshot.close,
        "stop_loss": plan.stop,
        "take_profit": plan.target,
        "entry_low": plan.entry[0] if plan.entry else None,
        "entry_high": plan.entry[1] if plan.entry else None,
        "horizon_days": plan.horizon,
        "coverage": mix.coverage,
        "agreement": mix.agreement,
        **{f"{a}_score": r.score for a, r in blocks.used.items()},
    }
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
    evidence = [
        f"{a} {r.stance.value} {signed(r.score)} (confidence {r.confidence:.2f})" for a, r in blocks.used.items()
    ]
    evidence.append(f"{plan.action} ({plan.rating}) at score {signed(plan.score, 1)}, position {plan.position:.1f}%")
    evidence.append(
        f"stop {fmt(plan.stop)}, take profit {fmt(plan.target)}, horizon {plan.horizon} days"
        if plan.entry
        else f"exit, horizon {plan.horizon} days"
    )
    body = rationale + "\n\n" + _table(blocks)
    return make_result(
        AGENT_ID,
        plan.score,
        plan.confidence,
        body,
        signals=signals,
        metrics=metrics,
        evidence=evidence,
        decision=decision,
    )


def _table(blocks: Inputs) -> str:
    rows = [
        f"| {a} | {r.stance.value} | {signed(r.score)} | {r.confidence:.2f} | {WEIGHTS[a]:.2f} |"
        for a, r in blocks.used.items()
    ]
    rows += [f"| {a} | failed | - | - | {WEIGHTS[a]:.2f} |" for a in blocks.failed]
    return "| input | stance | score | confidence | weight |\n|---|---|---|---|---|\n" + "\n".join(rows)


def _sizing(plan: _Plan) -> str:
    if plan.action == "SELL":
        return "Position 0% (exit)."
    factors = f"{plan.base:.1f}% ({plan.base_source}) x confidence {plan.confidence:.2f}"
    if plan.factor != 1.0:
        factors += f" x {plan.factor:g} (risk cap)"
    if plan.action == "HOLD":
        factors += f" x {HOLD_FRACTION:g} (hold, no new buying)"
    if plan.ceiling is not None and plan.position >= plan.ceiling:
        factors += f", capped at {plan.ceiling:g}%"
    return f"Position {plan.position:.1f}% = {factors}."


def _rationale(plan: _Plan, blocks: Inputs, notes: list[str], dissent: list[str], everything: Inputs) -> str:
    inputs = ", ".join(f"{a} {signed(r.score)} (confidence {r.confidence:.2f})" for a, r in blocks.used.items())
    parts = [
        f"**{plan.action} ({plan.rating})**: weighted score {signed(plan.score, 1)} (action thresholds "
        f"+/-{ACT_AT:g}) from {inputs}."
    ]
    if plan.caps or notes:
        parts.append("; ".join(plan.caps + notes) + ".")
    parts.append(_sizing(plan))
    if plan.entry:
        parts.append(
            f"Entry {fmt(plan.entry[0])}-{fmt(plan.entry[1])}, stop {fmt(plan.stop)}, take profit {fmt(plan.target)}."
        )
    elif plan.action != "SELL":
        parts.append("No entry, stop or target: too little price history for an ATR.")
    parts.append(f"Horizon {plan.horizon} days.")
    if dissent:
        parts.append(f"Dissent: {', '.join(dissent)}.")
    if everything.degraded:
        parts.append(f"Degraded: {', '.join(everything.failed)} failed.")
    return " ".join(parts)
