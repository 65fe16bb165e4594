"""The typed ``signals`` of each role: what its labels may be, checked when the result is built.

``AgentResult.signals`` stays a plain JSON object in events and in the API; these models are the
contract of its keys per role, and the LLM step re-validates a role's signals against the same one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..models import Action, Rating, Stance

Direction = Literal["rising", "flat", "falling", "n/a"]
Zone = Literal["overbought", "neutral", "oversold", "n/a"]
Relative = Literal["leading", "in line", "lagging", "n/a"]
Grade = Literal["S", "A", "B", "C", "D"]
GradeTrend = Literal["improving", "stable", "deteriorating"]
VolRegime = Literal["high", "normal", "low", "n/a"]


class Signals(BaseModel):
    """Base of every role's signals: unknown keys are a bug, not a feature."""

    model_config = ConfigDict(extra="forbid")


class SkippedSignals(Signals):
    reason: str


class TechnicalSignals(Signals):
    trend: Literal["up", "down", "sideways"]
    trend_strength: Literal["strong", "weak", "n/a"]
    """ADX(14) at or above 25 is a trending market, below it a ranging one."""
    macd: Literal["bullish", "bearish", "bullish cross", "bearish cross", "n/a"]
    rsi_zone: Zone
    bollinger: Literal["above upper", "inside", "below lower", "n/a"]
    ma_alignment: Literal["bullish", "bearish", "mixed", "n/a"]
    support_from: Literal["swing low", "20-day low"]
    resistance_from: Literal["swing high", "20-day high"]
    target_from: Literal["resistance", "3 ATR projection", "n/a"]


class FundsSignals(Signals):
    intent: Literal["accumulate", "wait", "distribute"]
    short_term: Literal["strong", "neutral", "weak", "n/a"]
    volume: Literal["expanding", "normal", "contracting", "n/a"]
    obv: Direction
    accumulation_distribution: Direction
    mfi_zone: Zone
    turnover: Literal["elevated", "normal", "subdued", "n/a"]


class FundamentalSignals(Signals):
    valuation: Literal["cheap", "fair", "expensive", "n/a"]
    quality: Literal["high", "average", "low", "n/a"]
    growth: Literal["growing", "flat", "shrinking", "n/a"]
    leverage: Literal["high", "moderate", "low", "n/a"]
    latest_report: str


class IndustrySignals(Signals):
    rs_vs_index: Relative
    rs_vs_peers: Relative
    sector: Literal["in favour", "in line", "out of favour", "n/a"]
    peer_rank_60: str
    industry: str


class MacroSignals(Signals):
    regime: Literal["bull", "range", "bear", "n/a"]
    """From the CSI 300; n/a without index data."""
    liquidity: Literal["loose", "neutral", "tight", "n/a"]
    """From money, credit and rates (``analysts.liquidity``); n/a without the series."""
    growth: Literal["expanding", "stable", "contracting", "n/a"]
    inflation: Literal["deflationary", "moderate", "inflationary", "n/a"]
    vol_regime: VolRegime
    source: str


class DirectorSignals(Signals):
    grade: Grade
    trend: GradeTrend
    conflict: str | None
    inputs: dict[str, Stance]
    failed: list[str]
    not_run: list[str]


class MomentumDirectorSignals(DirectorSignals):
    momentum_state: Literal[
        "bullish strengthening",
        "bullish fading",
        "turning up",
        "bearish strengthening",
        "bearish fading",
        "turning down",
        "n/a",
    ]
    breakout_odds: Literal["high", "medium", "low", "n/a"]


class SystemicRiskSignals(Signals):
    vol_regime: VolRegime
    crash_risk: Literal["low", "moderate", "elevated"]


class PortfolioRiskSignals(Signals):
    risk_level: Literal["low", "medium", "high", "n/a"]
    sizing: str
    stop_rule: str


class ManagerSignals(Signals):
    action: Action
    rating: Rating
    grade: Grade
    caps: list[str]
    notes: list[str]
    dissent: list[str]
    degraded: bool
    conflict: str | None
    failed: list[str]


SIGNALS: dict[str, type[Signals]] = {
    "macro": MacroSignals,
    "industry": IndustrySignals,
    "technical": TechnicalSignals,
    "funds": FundsSignals,
    "fundamental": FundamentalSignals,
    "fundamental_director": DirectorSignals,
    "momentum_director": MomentumDirectorSignals,
    "systemic_risk_director": SystemicRiskSignals,
    "portfolio_risk_director": PortfolioRiskSignals,
    "investment_gm": ManagerSignals,
}
"""Agent id → the model of its succeeded result's signals (a skipped result carries ``SkippedSignals``)."""
