"""The research directors: confidence-weighted syntheses of the stage-1 analysts, graded S to D."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..errors import AgentError
from ..market import Snapshot
from ..models import AgentResult, AgentStatus
from ..roster import get_agent
from .common import grade_for, make_result, settle, signed
from .synthesis import blend, gather, input_rows

WEIGHTS: dict[str, dict[str, float]] = {
    # Value and its setting: the valuation call leads, the market and the sector frame it.
    "fundamental_director": {"macro": 0.25, "industry": 0.25, "fundamental": 0.5},
    # Price action leads; capital flow confirms or questions it.
    "momentum_director": {"technical": 0.6, "funds": 0.4},
}


def skipped(agent_id: str, reason: str) -> AgentResult:
    """The result of an agent that had nothing to work on because the caller chose so."""
    spec = get_agent(agent_id)
    return AgentResult(
        agent_id=agent_id,
        stage=spec.stage,
        status=AgentStatus.skipped,
        summary=f"**{spec.title}: skipped** ({reason})",
        signals={"reason": reason},
    )


def analyze_director(
    agent_id: str, snapshot: Snapshot, upstream: Mapping[str, AgentResult], selected: Iterable[str]
) -> AgentResult:
    weights = WEIGHTS[agent_id]
    inputs = gather(weights, upstream, selected)
    if not inputs.used:
        if not inputs.failed:
            return skipped(agent_id, f"none of its inputs ({', '.join(weights)}) was selected")
        raise AgentError(f"{agent_id}: no upstream result to synthesise ({', '.join(inputs.failed)} failed)")
    mix = blend(inputs, weights)
    score = settle(mix.score)
    grade = grade_for(score)
    conflict_text = f"core conflict: {mix.conflict}" if mix.conflict else "inputs agree in direction"
    body = (
        f"{input_rows(inputs, weights)}\n\n"
        f"Confidence-weighted score {signed(score, 1)} -> grade **{grade}**; {conflict_text}. "
        f"Coverage {mix.coverage:.0%} of the input weight, agreement {mix.agreement:.2f}."
    )
    if inputs.failed:
        body += f" Missing (failed): {', '.join(inputs.failed)}."
    metrics: dict[str, float | None] = {"coverage": mix.coverage, "agreement": mix.agreement}
    for a, r in inputs.used.items():
        metrics[f"{a}_score"] = r.score
        metrics[f"{a}_confidence"] = r.confidence
    evidence = [
        f"{a} {r.stance.value} {signed(r.score)} (confidence {r.confidence:.2f})" for a, r in inputs.used.items()
    ]
    evidence += [f"{a} failed: not counted" for a in inputs.failed]
    if mix.conflict:
        evidence.append(mix.conflict)
    evidence.append(f"weighted score {signed(score, 1)}, grade {grade}, coverage {mix.coverage:.0%}")
    signals = {
        "grade": grade,
        "conflict": mix.conflict,
        "inputs": {a: r.stance.value for a, r in inputs.used.items()},
        "failed": list(inputs.failed),
        "not_run": list(inputs.left_out),
    }
    return make_result(agent_id, score, mix.confidence, body, signals=signals, metrics=metrics, evidence=evidence)


def fundamental_director(
    snapshot: Snapshot, upstream: Mapping[str, AgentResult], selected: Iterable[str]
) -> AgentResult:
    return analyze_director("fundamental_director", snapshot, upstream, selected)


def momentum_director(snapshot: Snapshot, upstream: Mapping[str, AgentResult], selected: Iterable[str]) -> AgentResult:
    return analyze_director("momentum_director", snapshot, upstream, selected)
