"""What every analyst shares: score → stance and grade, clipping, rounding, and building the result."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import AgentError
from ..market import Snapshot
from ..models import AgentResult, AgentStatus, Stance
from ..roster import get_agent
from .signals import Signals
from .wording import Text, language, word

BULLISH_AT = 15.0
"""Scores at or above this are bullish, at or below its negative bearish: the one stance mapping."""
GRADES: tuple[tuple[float, str], ...] = ((50.0, "S"), (20.0, "A"), (-20.0, "B"), (-50.0, "C"))
"""Lower bounds of the grades, best first; anything lower is D."""
MAX_EVIDENCE = 6
STALE_FACTOR = 0.85
"""Confidence multiplier for each stale data part an agent reads."""


def stance_for(score: float) -> Stance:
    if score >= BULLISH_AT:
        return Stance.bullish
    if score <= -BULLISH_AT:
        return Stance.bearish
    return Stance.neutral


def grade_for(score: float) -> str:
    for floor, grade in GRADES:
        if score >= floor:
            return grade
    return "D"


def clip(value: float, low: float = -100.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


def settle(score: float) -> float:
    """The score as results carry it (clipped, one decimal): decide labels from this value only."""
    return round(clip(score), 1)


def finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def num(value: Any, digits: int = 4) -> float | None:
    """A JSON-safe rounded float, or None for a missing, NaN or infinite value."""
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


def signed(value: float, digits: int = 0) -> str:
    """``+12``, ``-3.5``: an explicit sign, as scores are read."""
    return f"{value:+.{digits}f}"


def pct(value: float | None, digits: int = 1, sign: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value * 100:{'+' if sign else ''}.{digits}f}%"


def ordinal(value: float | None, what: str = "percentile") -> str:
    """``63rd percentile``, ``n/a`` for a missing value (never ``n/ath``)."""
    if value is None:
        return "n/a"
    n = round(value)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix} {what}"


def rank(value: float | None) -> str:
    """``ordinal`` in the run's language: ``63rd percentile`` / ``第63百分位``."""
    if language() != "zh" or value is None:
        return ordinal(value)
    return f"第{round(value)}百分位"


SPAN_YEARS = Text("{days} days ({years} years)", "{days}个交易日（{years}年）")
SPAN_DAYS = Text("{days} days", "{days}个交易日")


def span(days: int) -> str:
    """A window of trading days as read: ``252 days (1.0 years)`` for a year or more, else ``116 days``."""
    return SPAN_YEARS(days=days, years=f"{days / 252:.1f}") if days >= 252 else SPAN_DAYS(days=days)


def fmt(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def require(condition: bool, message: str) -> None:
    """Fail the agent for good (the pipeline records it as failed and degrades) unless ``condition``."""
    if not condition:
        raise AgentError(message)


def data_confidence(snapshot: Snapshot, parts: Sequence[str]) -> float:
    """1.0, lowered by ``STALE_FACTOR`` for each of ``parts`` that is stale."""
    factor = 1.0
    for part in parts:
        if snapshot.stale(part):
            factor *= STALE_FACTOR
    return factor


HEADLINE = Text(
    "**{title}: {stance}** (score {score}, confidence {confidence})",
    "**{title}：{stance}**（评分{score}，置信度{confidence}）",
)


def headline(agent_id: str, stance: Stance, score: float, confidence: float) -> str:
    spec = get_agent(agent_id)
    title = Text(spec.title, spec.title_zh)()
    return HEADLINE(title=title, stance=word(stance), score=signed(score, 1), confidence=f"{confidence:.2f}")


def make_result(
    agent_id: str,
    score: float,
    confidence: float,
    body: str,
    *,
    signals: Signals,
    metrics: Mapping[str, Any],
    evidence: Sequence[str],
    narrative: str = "",
    **extra: Any,
) -> AgentResult:
    """A succeeded result whose stance, headline and numbers all come from the same rounded values.

    ``signals`` is the role's typed model (``signals.SIGNALS``), stored as its JSON object; the summary
    is the headline, the ``narrative`` (``analysts.narratives``, in the run's language), then ``body``.
    """
    score = settle(score)
    confidence = round(clip(confidence, 0.0, 1.0), 2)
    stance = stance_for(score)
    return AgentResult(
        agent_id=agent_id,
        stage=get_agent(agent_id).stage,
        status=AgentStatus.succeeded,
        stance=stance,
        score=score,
        confidence=confidence,
        summary="\n\n".join(p for p in (headline(agent_id, stance, score, confidence), narrative, body) if p),
        signals=signals.model_dump(mode="json"),
        metrics={key: num(value) for key, value in metrics.items()},
        evidence=list(evidence)[:MAX_EVIDENCE],
        provider="quant",
        **extra,
    )
