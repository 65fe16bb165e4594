"""The ten analyst roles (quant core): ``ANALYSTS`` maps each agent id to its analyst, ``analyze`` runs one."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ..market import Snapshot
from ..models import AgentResult
from . import fundamental, funds, industry, macro, technical
from .directors import fundamental_director, momentum_director
from .manager import investment_gm
from .risk import portfolio_risk_director, systemic_risk_director
from .signals import (
    DirectorSignals,
    FundamentalSignals,
    FundsSignals,
    IndustrySignals,
    MacroSignals,
    ManagerSignals,
    MomentumDirectorSignals,
    PortfolioRiskSignals,
    Signals,
    SystemicRiskSignals,
    TechnicalSignals,
)
from .wording import speaking

__all__ = ["ANALYSTS", "Analyst", "analyze"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Analyst:
    """One role's quant core and the model of the signals its succeeded result carries."""

    run: Callable[[Snapshot, Mapping[str, AgentResult], list[str]], AgentResult]
    signals: type[Signals]


ANALYSTS: Mapping[str, Analyst] = MappingProxyType(
    {
        "macro": Analyst(macro.analyze, MacroSignals),
        "industry": Analyst(industry.analyze, IndustrySignals),
        "technical": Analyst(technical.analyze, TechnicalSignals),
        "funds": Analyst(funds.analyze, FundsSignals),
        "fundamental": Analyst(fundamental.analyze, FundamentalSignals),
        "fundamental_director": Analyst(fundamental_director, DirectorSignals),
        "momentum_director": Analyst(momentum_director, MomentumDirectorSignals),
        "systemic_risk_director": Analyst(systemic_risk_director, SystemicRiskSignals),
        "portfolio_risk_director": Analyst(portfolio_risk_director, PortfolioRiskSignals),
        "investment_gm": Analyst(investment_gm, ManagerSignals),
    }
)
"""Agent id → its analyst, in roster order: the one registry (a unit test keeps it equal to ``roster.AGENTS``)."""


def analyze(
    agent_id: str,
    snapshot: Snapshot,
    upstream: Mapping[str, AgentResult],
    selected: Iterable[str],
    language: str = "en",
) -> AgentResult:
    """Run one role's quant analysis.

    Parameters
    ----------
    agent_id
        A roster id (a key of ``ANALYSTS``); ``KeyError`` otherwise.
    snapshot
        The market data, cut at the analysis date.
    upstream
        Results of earlier stages by agent id (failed and skipped ones included, or absent).
    selected
        The stage-1 analysts the caller asked for; a reader does not count the others as failures.
    language
        ``en`` or ``zh``: the language of the text (headline, narrative, body, evidence; the agent handler
        passes ``INVESTMIND_LLM_LANGUAGE``). Signals, metrics, scores and the decision do not depend on it.

    Returns
    -------
    AgentResult
        Status ``succeeded`` (or ``skipped`` for a director none of whose inputs was selected).

    Raises ``errors.AgentError`` when the role's required data or inputs are missing.
    """
    run = ANALYSTS[agent_id].run
    started = time.perf_counter()
    with speaking(language):
        result = run(snapshot, upstream, list(selected))
    logger.debug(
        "agent analysed",
        extra={"agent_id": agent_id, "symbol": snapshot.symbol, "ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    return result
