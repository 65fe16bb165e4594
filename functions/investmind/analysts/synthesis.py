"""Combining upstream results: which ones count, their confidence-weighted score, and their conflicts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..models import AgentResult, AgentStatus
from ..roster import get_agent
from . import texts_directors as T
from .common import signed
from .wording import Text, word

UNSELECTED_WEIGHT = 0.5
"""How much an input the caller chose to leave out counts against coverage (a failed one counts fully)."""
MAX_DISAGREEMENT_PENALTY = 0.3
CONFLICT = Text(
    "{top} positive ({top_score}) vs {bottom} negative ({bottom_score})",
    "{top}为正（{top_score}），{bottom}为负（{bottom_score}）",
)
"""The core conflict as the signals keep it (in English, ``.english``); texts render it with ``localize``."""


@dataclass(frozen=True, slots=True)
class Inputs:
    """The upstream results an agent reads, sorted by what became of them."""

    used: dict[str, AgentResult]
    failed: tuple[str, ...]
    """Expected (selected, or a later stage) but failed or absent."""
    left_out: tuple[str, ...]
    """Stage-1 analysts not selected, or agents that skipped themselves."""

    @property
    def degraded(self) -> bool:
        return bool(self.failed)


def gather(reads: Iterable[str], upstream: Mapping[str, AgentResult], selected: Iterable[str]) -> Inputs:
    chosen = set(selected)
    used: dict[str, AgentResult] = {}
    failed: list[str] = []
    left_out: list[str] = []
    for agent_id in reads:
        result = upstream.get(agent_id)
        if get_agent(agent_id).stage == 1 and agent_id not in chosen:
            left_out.append(agent_id)
        elif result is None or result.status == AgentStatus.failed:
            failed.append(agent_id)
        elif result.status == AgentStatus.skipped:
            left_out.append(agent_id)
        else:
            used[agent_id] = result
    return Inputs(used, tuple(failed), tuple(left_out))


@dataclass(frozen=True, slots=True)
class Blend:
    score: float
    confidence: float
    coverage: float
    agreement: float
    conflict: str | None


def blend(inputs: Inputs, weights: Mapping[str, float], scores: Mapping[str, float] | None = None) -> Blend:
    """Confidence-weighted mean of the used inputs' scores (``scores`` overrides a result's own score).

    Confidence is the weight-averaged input confidence, times coverage (the share of the expected
    weight that arrived) and agreement (lower the further the strongest bull and bear are apart).
    """
    used = {a: r for a, r in inputs.used.items() if a in weights}
    score_of = {a: (scores or {}).get(a, r.score) for a, r in used.items()}
    pull = {a: weights[a] * r.confidence for a, r in used.items()}
    total = sum(pull.values())
    if total > 0:
        score = sum(pull[a] * score_of[a] for a in used) / total
    else:  # every input has zero confidence: fall back to the plain weights
        score = sum(weights[a] * score_of[a] for a in used) / sum(weights[a] for a in used)
    expected = sum(weights[a] for a in used) + sum(weights.get(a, 0.0) for a in inputs.failed)
    expected += UNSELECTED_WEIGHT * sum(weights.get(a, 0.0) for a in inputs.left_out)
    coverage = sum(weights[a] for a in used) / expected if expected else 0.0
    mean_confidence = total / sum(weights[a] for a in used)
    conflict, spread = core_conflict(score_of)
    agreement = 1.0 - min(MAX_DISAGREEMENT_PENALTY, spread / 400.0)
    return Blend(score, mean_confidence * coverage * agreement, coverage, agreement, conflict)


def core_conflict(scores: Mapping[str, float]) -> tuple[str | None, float]:
    """The strongest positive input against the strongest negative one, and how far apart they are."""
    if not scores:
        return None, 0.0
    top = max(scores, key=lambda a: scores[a])
    bottom = min(scores, key=lambda a: scores[a])
    if scores[top] <= 0 or scores[bottom] >= 0:
        return None, 0.0
    text = CONFLICT.english(top=top, top_score=signed(scores[top]), bottom=bottom, bottom_score=signed(scores[bottom]))
    return text, scores[top] - scores[bottom]


def input_rows(inputs: Inputs, weights: Mapping[str, float]) -> str:
    """A markdown table of the inputs, failed and left-out ones included."""
    rows = [
        f"| {a} | {word(r.stance)} | {signed(r.score)} | {r.confidence:.2f} | {weights.get(a, 0):.2f} |"
        for a, r in inputs.used.items()
    ]
    rows += [f"| {a} | {T.FAILED()} | - | - | {weights.get(a, 0):.2f} |" for a in inputs.failed]
    rows += [f"| {a} | {T.NOT_RUN()} | - | - | {weights.get(a, 0):.2f} |" for a in inputs.left_out]
    return T.TABLE_HEAD() + "\n".join(rows)
