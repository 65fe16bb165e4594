"""The ten analyst roles (quant core): ``analyze`` runs one of them on a snapshot and the upstream results."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping

from ..market import Snapshot
from ..models import AgentResult
from . import fundamental, funds, industry, macro, technical
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
    agent_id: str, snapshot: Snapshot, upstream: Mapping[str, AgentResult], selected: Iterable[str]
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

    Returns
    -------
    AgentResult
        Status ``succeeded`` (or ``skipped`` for a director none of whose inputs was selected).

    Raises ``errors.AgentError`` when the role's required data or inputs are missing.
    """
    run = _ANALYSTS[agent_id]
    started = time.perf_counter()
    result = run(snapshot, upstream, list(selected))
    logger.debug(
        "agent analysed",
        extra={"agent_id": agent_id, "symbol": snapshot.symbol, "ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    return result
