"""The ten analyst roles (quant core): ``analyze`` runs one of them on a snapshot and the upstream results."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping

from ..market import Snapshot
from ..models import AgentResult
from ..settings import get_settings
from . import fundamental, funds, industry, macro, narratives, technical
from .directors import fundamental_director, momentum_director
from .manager import investment_gm
from .risk import portfolio_risk_director, systemic_risk_director

__all__ = ["analyze"]

logger = logging.getLogger(__name__)

Analyst = Callable[[Snapshot, Mapping[str, AgentResult], Iterable[str]], AgentResult]

_ANALYSTS: dict[str, Analyst] = {
    "macro": macro.analyze,
    "industry": industry.analyze,
    "technical": technical.analyze,
    "funds": funds.analyze,
    "fundamental": fundamental.analyze,
    "fundamental_director": fundamental_director,
    "momentum_director": momentum_director,
    "systemic_risk_director": systemic_risk_director,
    "portfolio_risk_director": portfolio_risk_director,
    "investment_gm": investment_gm,
}


def analyze(
    agent_id: str,
    snapshot: Snapshot,
    upstream: Mapping[str, AgentResult],
    selected: Iterable[str],
    language: str | None = None,
) -> AgentResult:
    """Run one role's quant analysis.

    Parameters
    ----------
    agent_id
        A roster id (``roster.AGENT_IDS``); ``KeyError`` otherwise.
    snapshot
        The market data, cut at the analysis date.
    upstream
        Results of earlier stages by agent id (failed and skipped ones included, or absent).
    selected
        The stage-1 analysts the caller asked for; a reader does not count the others as failures.
    language
        ``en`` or ``zh``: the language of the narrative; None reads ``INVESTMIND_LLM_LANGUAGE``.

    Returns
    -------
    AgentResult
        Status ``succeeded`` (or ``skipped`` for a director none of whose inputs was selected).

    Raises ``errors.AgentError`` when the role's required data or inputs are missing.
    """
    run = _ANALYSTS[agent_id]
    language = language or get_settings().llm_language
    if language not in narratives.LANGUAGES:
        raise ValueError(f"unknown narrative language {language!r} (choose from {', '.join(narratives.LANGUAGES)})")
    started = time.perf_counter()
    token = narratives.LANGUAGE.set(language)
    try:
        result = run(snapshot, upstream, list(selected))
    finally:
        narratives.LANGUAGE.reset(token)
    logger.debug(
        "agent analysed",
        extra={"agent_id": agent_id, "symbol": snapshot.symbol, "ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    return result
