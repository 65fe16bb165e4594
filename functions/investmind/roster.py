"""The agents and stages of an analysis: the one list everything else follows.

``make asl`` derives the state machine (``orchestration/analysis.asl.json``) and the agent functions of
``template.yaml`` from it, and ``analysts.ANALYSTS`` maps each id to its analyst; unit tests fail when
any of them drifts from this list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AgentSpec:
    agent_id: str
    stage: int
    title: str
    role: str
    title_zh: str
    role_zh: str
    """The title and role in Chinese (the LLM prompts in ``zh``)."""
    reads: tuple[str, ...]
    """Upstream agent ids whose results this agent reads (stage 1 reads only market data)."""
    timeout_s: int
    """The agent Lambda's timeout; its Task state waits a margin longer (``infra/asl.py``)."""
    memory_mb: int
    """The agent Lambda's memory (and so its CPU share)."""

    @property
    def function_logical_id(self) -> str:
        """Template logical id of this agent's Lambda, e.g. ``FundamentalDirectorAgentFunction``."""
        return "".join(part.capitalize() for part in self.agent_id.split("_")) + "AgentFunction"

    @property
    def state_name(self) -> str:
        """Name of this agent's Task state in the state machine."""
        return "".join(part.capitalize() for part in self.agent_id.split("_"))


_STAGE1 = ("macro", "industry", "technical", "funds", "fundamental")
_DIRECTORS = ("fundamental_director", "momentum_director")
_RISK = ("systemic_risk_director", "portfolio_risk_director")

# Memory (and with it the CPU share): the stage-1 analysts and the risk directors compute on the bars
# (indicators, volatility, drawdowns) and get 1 GB; the research directors and the manager mostly blend
# upstream results (docs/benchmarks.md, quant-core time per agent).
AGENTS: tuple[AgentSpec, ...] = (
    AgentSpec(
        "macro",
        1,
        "Macro analyst",
        "market regime, policy and liquidity stance",
        "宏观分析师",
        "市场环境、政策与流动性",
        reads=(),
        timeout_s=120,
        memory_mb=1024,
    ),
    AgentSpec(
        "industry",
        1,
        "Industry analyst",
        "sector strength, rotation and peers",
        "行业分析师",
        "行业强弱、轮动与同业比较",
        reads=(),
        timeout_s=120,
        memory_mb=1024,
    ),
    AgentSpec(
        "technical",
        1,
        "Technical analyst",
        "trend, momentum, support and resistance",
        "技术分析师",
        "趋势、动量、支撑与阻力",
        reads=(),
        timeout_s=120,
        memory_mb=1024,
    ),
    AgentSpec(
        "funds",
        1,
        "Capital-flow analyst",
        "volume, turnover, accumulation and distribution",
        "资金面分析师",
        "成交量、换手率、吸筹与派发",
        reads=(),
        timeout_s=120,
        memory_mb=1024,
    ),
    AgentSpec(
        "fundamental",
        1,
        "Fundamental analyst",
        "valuation, profitability and growth",
        "基本面分析师",
        "估值、盈利能力与成长性",
        reads=(),
        timeout_s=120,
        memory_mb=1024,
    ),
    AgentSpec(
        "fundamental_director",
        2,
        "Fundamental research director",
        "synthesis of macro, industry and value",
        "基本面研究总监",
        "综合宏观、行业与估值",
        reads=("macro", "industry", "fundamental"),
        timeout_s=180,
        memory_mb=512,
    ),
    AgentSpec(
        "momentum_director",
        2,
        "Market momentum director",
        "synthesis of trend and capital flow",
        "市场动量总监",
        "综合趋势与资金流向",
        reads=("technical", "funds"),
        timeout_s=180,
        memory_mb=512,
    ),
    AgentSpec(
        "systemic_risk_director",
        3,
        "Systemic risk director",
        "crash risk and worst-case drawdown",
        "系统性风险总监",
        "崩盘风险与最坏回撤",
        reads=(*_STAGE1, *_DIRECTORS),
        timeout_s=180,
        memory_mb=1024,
    ),
    AgentSpec(
        "portfolio_risk_director",
        3,
        "Portfolio risk director",
        "sizing, stops, Sharpe and max drawdown",
        "组合风险总监",
        "仓位、止损、夏普比率与最大回撤",
        reads=(*_STAGE1, *_DIRECTORS),
        timeout_s=180,
        memory_mb=1024,
    ),
    AgentSpec(
        "investment_gm",
        4,
        "Investment decision manager",
        "the decision",
        "投资决策经理",
        "最终决策",
        reads=(*_STAGE1, *_DIRECTORS, *_RISK),
        timeout_s=240,
        memory_mb=512,
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
