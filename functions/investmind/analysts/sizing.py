"""The decision manager's trade plan: price levels, the base position and the risk directors' caps."""

from __future__ import annotations

from collections.abc import Mapping

from ..market import Snapshot
from ..models import AgentResult, Stance
from .quant import adjusted_bars, price_levels, returns
from .risk import STOP_ATR, vol_target_size

FALLBACK_POSITION_PCT = 5.0
HIGH_RISK_POSITION_CAP = 10.0


def levels(snapshot: Snapshot, used: Mapping[str, AgentResult]) -> dict[str, float | None]:
    """Close, ATR, support, resistance and stop: the technical and portfolio risk directors' when they
    succeeded, recomputed from the bars otherwise."""
    technical = used.get("technical")
    if technical and technical.metrics.get("atr") is not None:
        out = {k: technical.metrics.get(k) for k in ("close", "atr", "support", "resistance")}
    else:
        out = price_levels(adjusted_bars(snapshot.bars))
    out["close"] = snapshot.close
    portfolio = used.get("portfolio_risk_director")
    stop = portfolio.metrics.get("stop_loss") if portfolio else None
    atr = out["atr"]
    out["stop"] = stop if stop is not None else (snapshot.close - STOP_ATR * atr if atr else None)
    return out


def trade_plan(
    action: str, marks: dict[str, float | None]
) -> tuple[tuple[float, float] | None, float | None, float | None]:
    """Entry range, stop and take-profit: buy from the recent support (at most one ATR down) up to the
    close, exit at the stop, take profit at the resistance or three ATRs up. Nothing for a SELL."""
    close, atr, support, resistance = marks["close"], marks["atr"], marks["support"], marks["resistance"]
    if action == "SELL" or not atr:
        return None, None, None
    low = close - atr if support is None or support >= close else max(support, close - atr)
    target = resistance if resistance is not None and resistance >= close + atr else close + 3 * atr
    return (round(low, 2), round(close, 2)), round(marks["stop"], 2), round(target, 2)


def base_position(snapshot: Snapshot, used: Mapping[str, AgentResult]) -> tuple[float, str]:
    """The position (% of the book) before confidence and caps, and where it came from."""
    portfolio = used.get("portfolio_risk_director")
    if portfolio and portfolio.metrics.get("position_pct") is not None:
        return float(portfolio.metrics["position_pct"]), "the portfolio risk director's volatility-targeted size"
    _, size = vol_target_size(returns(snapshot.bars))
    if size is not None:
        return size * 100, "a volatility-targeted size computed here, the portfolio risk director being unavailable"
    return FALLBACK_POSITION_PCT, "a minimal fallback size, with no volatility estimate"


def position_caps(used: Mapping[str, AgentResult]) -> tuple[float, float | None, list[str]]:
    """A position multiplier and ceiling from the risk directors, and what was applied."""
    notes, factor, ceiling = [], 1.0, None
    systemic = used.get("systemic_risk_director")
    if systemic and systemic.stance == Stance.bearish:
        factor = 0.5
        notes.append("crash risk elevated: position halved")
    portfolio = used.get("portfolio_risk_director")
    if portfolio and portfolio.signals.get("risk_level") == "high":
        ceiling = HIGH_RISK_POSITION_CAP
        notes.append(f"high single-name volatility: position capped at {HIGH_RISK_POSITION_CAP:g}%")
    return factor, ceiling, notes
