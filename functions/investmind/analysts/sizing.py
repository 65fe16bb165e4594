"""The decision manager's trade plan: price levels, the base position and the risk directors' caps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..market import Snapshot
from ..models import AgentResult, Stance
from .decision_text import BASE_COMPUTED, BASE_FALLBACK, BASE_FROM_PORTFOLIO, CRASH_HALVED, VOLATILE_CAP
from .quant import adjusted_bars, price_levels, returns, trade_levels
from .risk import vol_target_size

FALLBACK_POSITION_PCT = 5.0
HIGH_RISK_POSITION_CAP = 10.0


def levels(snapshot: Snapshot, used: Mapping[str, AgentResult]) -> dict[str, float | None]:
    """Close, buy range, stop and target: the technical analyst's when it succeeded (recomputed from the
    bars the same way otherwise), with the stop the wider of its stop and the portfolio risk director's."""
    technical = used.get("technical")
    keys = ("buy_low", "buy_high", "sell_low", "sell_high", "stop_loss")
    if technical and technical.metrics.get("buy_low") is not None:
        out = {k: technical.metrics.get(k) for k in keys}
    else:
        marks = price_levels(adjusted_bars(snapshot.bars))
        out = trade_levels(marks["close"], marks["atr"], marks["support"], marks["resistance"])
    out["close"] = snapshot.close
    portfolio = used.get("portfolio_risk_director")
    atr_stop = portfolio.metrics.get("stop_loss") if portfolio else None
    if out["stop_loss"] is not None and atr_stop is not None:
        # The wider stop: a buy at the bottom of the range must survive the noise the ATR stop allows for.
        out["stop_loss"] = min(out["stop_loss"], atr_stop)
    return out


@dataclass(frozen=True, slots=True)
class TradePlan:
    """The levels of a decision: absolute (traded prices) or, on adjusted prices, only relative to the close."""

    basis: str
    entry: tuple[float, float] | None = None
    stop: float | None = None
    target: float | None = None
    entry_pct: tuple[float, float] | None = None
    stop_pct: float | None = None
    target_pct: float | None = None


def trade_plan(action: str, marks: dict[str, float | None], traded: bool) -> TradePlan:
    """Entry range, stop and take-profit: a BUY buys from the technical buy range's low up to the close, a
    HOLD has no entry but keeps a stop and a target for what is held; a SELL, or no ATR, has no levels.
    On source-adjusted prices (``traded`` False) the levels are given relative to the close only."""
    basis = "traded" if traded else "adjusted"
    if action == "SELL" or marks["buy_low"] is None:
        return TradePlan(basis)
    close = marks["close"]  # the levels are in the terms of the last close (bars adjusted to it)
    entry_pct = (round(marks["buy_low"] / close - 1, 4), 0.0) if action == "BUY" else None
    stop_pct, target_pct = round(marks["stop_loss"] / close - 1, 4), round(marks["sell_high"] / close - 1, 4)
    if not traded:
        return TradePlan(basis, None, None, None, entry_pct, stop_pct, target_pct)
    entry = (round(marks["buy_low"], 2), round(marks["close"], 2)) if action == "BUY" else None
    return TradePlan(
        basis, entry, round(marks["stop_loss"], 2), round(marks["sell_high"], 2), entry_pct, stop_pct, target_pct
    )


def base_position(snapshot: Snapshot, used: Mapping[str, AgentResult]) -> tuple[float, str]:
    """The position (% of the book) before confidence and caps, and where it came from."""
    portfolio = used.get("portfolio_risk_director")
    if portfolio and portfolio.metrics.get("position_pct") is not None:
        return float(portfolio.metrics["position_pct"]), BASE_FROM_PORTFOLIO.english()
    _, size = vol_target_size(returns(snapshot.bars))
    if size is not None:
        return size * 100, BASE_COMPUTED.english()
    return FALLBACK_POSITION_PCT, BASE_FALLBACK.english()


def position_caps(used: Mapping[str, AgentResult]) -> tuple[float, float | None, list[str]]:
    """A position multiplier and ceiling from the risk directors, and what was applied."""
    notes, factor, ceiling = [], 1.0, None
    systemic = used.get("systemic_risk_director")
    if systemic and systemic.stance == Stance.bearish:
        factor = 0.5
        notes.append(CRASH_HALVED.english())
    portfolio = used.get("portfolio_risk_director")
    if portfolio and portfolio.signals.get("risk_level") == "high":
        ceiling = HIGH_RISK_POSITION_CAP
        notes.append(VOLATILE_CAP.english(cap=f"{HIGH_RISK_POSITION_CAP:g}"))
    return factor, ceiling, notes
