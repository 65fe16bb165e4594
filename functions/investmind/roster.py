"""The agents and stages of an analysis: the one list everything else follows."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AgentSpec:
    agent_id: str
    stage: int
    title: str
    role: str
    reads: tuple[str, ...]
    """Upstream agent ids whose results this agent reads (stage 1 reads only market data)."""
    timeout_s: int
    memory_mb: int

    @property
    def function_logical_id(self) -> str:
        """Template logical id of this agent's Lambda, e.g. ``FundamentalDirectorAgentFunction``."""
        return "".join(part.capitalize() for part in self.agent_id.split("_")) + "AgentFunction"

    @property
    def state_name(self) -> str:
        """Name of this agent's Task state in the state machine."""
        return "".join(part.capitalize() for part in self.agent_id.split("_"))


_STAGE1 = ("macro", "industry", "technical", "funds", "fundamental")

AGENTS: tuple[AgentSpec, ...] = (
    AgentSpec("macro", 1, "Macro analyst", "market regime, policy and liquidity stance", (), 120, 512),
    AgentSpec("industry", 1, "Industry analyst", "sector strength, rotation and peers", (), 120, 512),
    AgentSpec("technical", 1, "Technical analyst", "trend, momentum, support and resistance", (), 120, 512),
    AgentSpec("funds", 1, "Capital-flow analyst", "volume, turnover, accumulation and distribution", (), 120, 512),
    AgentSpec("fundamental", 1, "Fundamental analyst", "valuation, profitability and growth", (), 120, 512),
    AgentSpec(
        "fundamental_director",
        2,
        "Fundamental research director",
        "synthesis of macro, industry and value",
        ("macro", "industry", "fundamental"),
        180,
        512,
    ),
    AgentSpec(
        "momentum_director",
        2,
        "Market momentum director",
        "synthesis of trend and capital flow",
        ("technical", "funds"),
        180,
        512,
    ),
    AgentSpec(
        "systemic_risk_director",
        3,
        "Systemic risk director",
        "crash risk and worst-case drawdown",
        (*_STAGE1, "fundamental_director", "momentum_director"),
        180,
        512,
    ),
    AgentSpec(
        "portfolio_risk_director",
        3,
        "Portfolio risk director",
        "sizing, stops, Sharpe and max drawdown",
        (*_STAGE1, "fundamental_director", "momentum_director"),
        180,
        512,
    ),
    AgentSpec(
        "investment_gm",
        4,
        "Investment decision manager",
        "the decision",
        (*_STAGE1, "fundamental_director", "momentum_director", "systemic_risk_director", "portfolio_risk_director"),
        240,
        512,
    ),
)

STAGE_NAMES: dict[int, str] = {1: "Analysts", 2: "Research directors", 3: "Risk directors", 4: "Decision"}
STAGES: dict[int, tuple[AgentSpec, ...]] = {
    stage: tuple(a for a in AGENTS if a.stage == stage) for stage in sorted({a.stage for a in AGENTS})
}
AGENT_IDS: tuple[str, ...] = tuple(a.agent_id for a in AGENTS)
STAGE1_IDS: tuple[str, ...] = tuple(a.agent_id for a in STAGES[1])
_BY_ID = {a.agent_id: a for a in AGENTS}


def get_agent(agent_id: str) -> AgentSpec:
    """The spec of one agent; KeyError for an unknown id."""
    return _BY_ID[agent_id]
