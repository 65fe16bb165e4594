"""What an LLM may answer for an agent, the bounds on it, and how it becomes the agent's result.

The LLM writes the narrative and may nudge the quant core's score and confidence, but never across a
label: the stance (and the manager's action and rating) stay the quant core's, so every signal the
quant core derived from them stays true, and the text must name the same stance or action.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..analysts import ANALYSTS
from ..analysts.common import grade_for, headline, settle, stance_for
from ..analysts.manager import action_for
from ..analysts.wording import speaking
from ..models import Action, AgentResult, Decision, Rating, Score, Stance, Unit

MAX_SCORE_SHIFT = 10.0
MAX_CONFIDENCE_SHIFT = 0.15
HORIZON_RANGE = (0.5, 2.0)
"""The LLM may halve or double the manager's horizon, no more."""
STANCE_WORDS: dict[str, dict[Stance, tuple[str, ...]]] = {
    "en": {Stance.bullish: ("bullish",), Stance.neutral: ("neutral",), Stance.bearish: ("bearish",)},
    "zh": {
        Stance.bullish: ("看多", "偏多", "bullish"),
        Stance.neutral: ("中性", "neutral"),
        Stance.bearish: ("看空", "偏空", "bearish"),
    },
}
ACTIONS: tuple[str, ...] = ("BUY", "HOLD", "SELL")

Line = Annotated[str, Field(min_length=1, max_length=300)]


class Opinion(BaseModel):
    """An agent's reply: its stance, score and confidence (near the quant core's), narrative and evidence."""

    model_config = ConfigDict(extra="forbid")

    stance: Stance = Field(description="must equal the quant stance given in the prompt")
    score: Score = Field(description="the quant score, moved by at most the allowed shift, same stance band")
    confidence: Unit
    narrative: Annotated[str, Field(min_length=20, max_length=6000)] = Field(
        description="markdown; names the stance word; cites only numbers given in the prompt"
    )
    evidence: Annotated[list[Line], Field(min_length=1, max_length=6)]


class DecisionDraft(BaseModel):
    """The parts of the manager's Decision an LLM may write; price levels, dissent and degraded stay computed."""

    model_config = ConfigDict(extra="forbid")

    action: Action
    rating: Rating
    position_pct: Annotated[float, Field(ge=0, le=100)]
    horizon_days: Annotated[int, Field(ge=1, le=3650)]
    rationale: Annotated[str, Field(min_length=20, max_length=6000)] = Field(
        description="starts with **ACTION (Rating)**, cites the numbers, names no other action"
    )


class ManagerOpinion(Opinion):
    decision: DecisionDraft


class InvalidReply(ValueError):
    """The reply does not fit the reply model or leaves its bounds; the message lists every problem."""


def reply_model(agent_id: str) -> type[Opinion]:
    return ManagerOpinion if agent_id == "investment_gm" else Opinion


def merge(quant: AgentResult, data: Any, language: str, provider: str) -> AgentResult:
    """The agent's result with the LLM's reply applied, validated against the same models as the quant one.

    Raises ``InvalidReply`` (to be repaired once, else the quant result stands) when the reply does not
    validate or leaves its bounds.
    """
    try:
        opinion = reply_model(quant.agent_id).model_validate(data)
    except ValidationError as exc:
        raise InvalidReply(_describe(exc)) from exc
    problems = _bounds(quant, opinion, language)
    if problems:
        raise InvalidReply("; ".join(problems))
    score, confidence = settle(opinion.score), round(opinion.confidence, 2)
    with speaking(language):  # the headline is the analysts' own, in the run's language
        title = headline(quant.agent_id, opinion.stance, score, confidence)
    signals = dict(quant.signals)
    if "grade" in signals:  # the grade is the score's band (S..D), so it follows the adjusted score
        signals["grade"] = grade_for(score)
    ANALYSTS[quant.agent_id].signals.model_validate(signals)
    update: dict[str, Any] = {
        "score": score,
        "confidence": confidence,
        "summary": f"{title}\n\n{opinion.narrative.strip()}",
        "evidence": list(opinion.evidence),
        "signals": signals,
        "provider": provider,
    }
    if isinstance(opinion, ManagerOpinion) and quant.decision is not None:
        draft = {**opinion.decision.model_dump(), "position_pct": round(opinion.decision.position_pct, 1)}
        try:
            decision = Decision.model_validate({**quant.decision.model_dump(), **draft, "confidence": confidence})
        except ValidationError as exc:
            raise InvalidReply(_describe(exc)) from exc
        update["decision"] = decision
        plan = {"position_pct": decision.position_pct, "horizon_days": decision.horizon_days}
        update["metrics"] = {**quant.metrics, **plan}
    return AgentResult.model_validate({**quant.model_dump(), **update})


def _bounds(quant: AgentResult, opinion: Opinion, language: str) -> list[str]:
    problems = []
    score = settle(opinion.score)
    if opinion.stance != quant.stance:
        problems.append(f"stance must stay {quant.stance.value} (got {opinion.stance.value})")
    if stance_for(score) != opinion.stance:
        problems.append(f"score {score:+.1f} is not in the {opinion.stance.value} band (bullish >= 15, bearish <= -15)")
    if abs(score - quant.score) > MAX_SCORE_SHIFT:
        problems.append(f"score {score:+.1f} moves more than {MAX_SCORE_SHIFT:g} from the quant {quant.score:+.1f}")
    if abs(opinion.confidence - quant.confidence) > MAX_CONFIDENCE_SHIFT + 1e-9:
        problems.append(
            f"confidence {opinion.confidence:.2f} moves more than {MAX_CONFIDENCE_SHIFT:g} from {quant.confidence:.2f}"
        )
    words = STANCE_WORDS.get(language, STANCE_WORDS["en"])[opinion.stance]
    if not any(w in opinion.narrative.lower() for w in words):
        problems.append(f"the narrative must name the stance ({' or '.join(words)})")
    if isinstance(opinion, ManagerOpinion) and quant.decision is not None:
        problems += _decision_bounds(quant, opinion, score)
    return problems


def _decision_bounds(quant: AgentResult, opinion: ManagerOpinion, score: float) -> list[str]:
    computed, draft = quant.decision, opinion.decision
    problems = []
    if (draft.action, draft.rating) != (computed.action, computed.rating):
        problems.append(f"action and rating must stay {computed.action} ({computed.rating})")
    if computed.tradeable and action_for(score) != (computed.action, computed.rating):  # no decision: HOLD
        mapped = "{} ({})".format(*action_for(score))
        problems.append(f"score {score:+.1f} maps to {mapped}, not {computed.action} ({computed.rating})")
    if draft.position_pct > computed.position_pct + 1e-9:
        problems.append(f"position_pct may only be lowered from {computed.position_pct:g} (the risk caps)")
    low, high = (round(computed.horizon_days * f) for f in HORIZON_RANGE)
    if not low <= draft.horizon_days <= high:
        problems.append(f"horizon_days must be within {low}..{high}")
    for text_name, text in (("rationale", draft.rationale), ("narrative", opinion.narrative)):
        if draft.action not in text:
            problems.append(f"the {text_name} must name the action {draft.action}")
        others = [a for a in ACTIONS if a != draft.action and re.search(rf"\b{a}\b", text)]
        if others:
            problems.append(f"the {text_name} names {', '.join(others)} but the action is {draft.action}")
    return problems


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'reply'}: {e['msg']}" for e in exc.errors())
