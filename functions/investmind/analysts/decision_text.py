"""The decision manager's words: rationale, evidence and narrative, from the plan's own fields only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..models import AgentResult
from . import narratives
from .common import fmt, pct, signed
from .narratives import both, join, word
from .synthesis import Inputs

if TYPE_CHECKING:
    from ..models import Stance
    from .manager import _Plan


def table(blocks: Inputs, weights: Mapping[str, float]) -> str:
    rows = [
        f"| {a} | {r.stance.value} | {signed(r.score)} | {r.confidence:.2f} | {weights[a]:.2f} |"
        for a, r in blocks.used.items()
    ]
    rows += [f"| {a} | failed | - | - | {weights[a]:.2f} |" for a in blocks.failed]
    return "| input | stance | score | confidence | weight |\n|---|---|---|---|---|\n" + "\n".join(rows)


def _sizing(plan: _Plan) -> str:
    if plan.action == "SELL":
        return "Position 0% (exit)."
    factors = f"{plan.base:.1f}% ({plan.base_source}) x confidence {plan.confidence:.2f}"
    if plan.factor != 1.0:
        factors += f" x {plan.factor:g} (risk cap)"
    if plan.action == "HOLD":
        factors += f" x {plan.scale:.2f} (hold scale at this score)"
    if plan.ceiling is not None and plan.position >= plan.ceiling:
        factors += f", capped at {plan.ceiling:g}%"
    if plan.action == "HOLD":
        return f"Keep at most {plan.position:.1f}% of the book, trimming above it; no new buying. ({factors}.)"
    return f"Position {plan.position:.1f}% = {factors}."


def levels_text(plan: _Plan) -> str | None:
    lv = plan.levels
    if plan.action == "SELL":
        return None
    if lv.stop_pct is None:
        return "No stop or target: too little price history for an ATR."
    if lv.basis == "adjusted":
        entry = (
            f"entry from close {pct(lv.entry_pct[0], sign=True)} up to the close, " if lv.entry_pct is not None else ""
        )
        return (
            f"Only adjusted prices exist for this date, so levels are relative to the close: {entry}stop "
            f"{pct(lv.stop_pct, sign=True)}, take profit {pct(lv.target_pct, sign=True)}."
        )
    entry = f"Entry {fmt(lv.entry[0])}-{fmt(lv.entry[1])}, " if lv.entry is not None else "Protective "
    return (
        f"{entry}stop {fmt(lv.stop)} ({pct(lv.stop_pct, sign=True)}), take profit {fmt(lv.target)} "
        f"({pct(lv.target_pct, sign=True)})."
    )


def rationale(
    plan: _Plan, blocks: Inputs, notes: list[str], dissent: list[str], everything: Inputs, act_at: float
) -> str:
    inputs = ", ".join(f"{a} {signed(r.score)} (confidence {r.confidence:.2f})" for a, r in blocks.used.items())
    if not plan.tradeable:
        return (
            f"**{plan.action} ({plan.rating})**: no trade decision. Too few agents succeeded to decide: "
            f"{', '.join(plan.missing)} failed ({len(everything.used)} of "
            f"{len(everything.used) + len(everything.failed)} succeeded). The weighted score of what remains "
            f"is {signed(plan.score, 1)}, from {inputs}; no position advice, no levels."
        )
    parts = [
        f"**{plan.action} ({plan.rating})**: weighted score {signed(plan.score, 1)} (action thresholds "
        f"+/-{act_at:g}) from {inputs}."
    ]
    if plan.caps or notes:
        parts.append("; ".join(plan.caps + notes) + ".")
    parts.append(_sizing(plan))
    parts.append(levels_text(plan) or "")
    parts.append(f"Horizon {plan.horizon} days.")
    if dissent:
        parts.append(f"Dissent: {', '.join(dissent)}.")
    if everything.degraded:
        parts.append(f"Degraded: {', '.join(everything.failed)} failed.")
    return " ".join(p for p in parts if p)


def evidence(plan: _Plan, blocks: Inputs) -> list[str]:
    out = [f"{a} {r.stance.value} {signed(r.score)} (confidence {r.confidence:.2f})" for a, r in blocks.used.items()]
    if not plan.tradeable:
        out.append(f"no trade decision: {', '.join(plan.missing)} failed")
        return out
    out.append(f"{plan.action} ({plan.rating}) at score {signed(plan.score, 1)}, position {plan.position:.1f}%")
    lv = plan.levels
    if plan.action == "SELL" or lv.stop_pct is None:
        out.append(f"no levels, horizon {plan.horizon} days")
    else:
        out.append(
            f"stop {pct(lv.stop_pct, sign=True)}, take profit {pct(lv.target_pct, sign=True)} from the close, "
            f"horizon {plan.horizon} days"
        )
    return out


def narrative(plan: _Plan, stance: Stance, used: Mapping[str, AgentResult]) -> str:
    inputs = ", ".join(f"{a} {signed(r.score)}" for a, r in used.items())
    if not plan.tradeable:
        return both(
            f"{plan.action}, but no trade decision (view {word(stance)}): {', '.join(plan.missing)} failed, too "
            f"little to decide on. What remains weighs in at {signed(plan.score, 1)}.",
            f"{plan.action}，但不构成交易决策（立场{word(stance)}）：{'、'.join(plan.missing)}运行失败，"
            f"依据不足。其余结果加权评分{signed(plan.score, 1)}。",
        )
    first = both(
        f"{plan.action} ({plan.rating}), view {word(stance)}: the weighted score is {signed(plan.score, 1)} from "
        f"{inputs}.",
        f"{plan.action}（{plan.rating}），立场{word(stance)}：加权评分{signed(plan.score, 1)}，来自{inputs}。",
    )
    size = {
        "BUY": both(f"Buy up to {plan.position:.1f}% of the book.", f"买入至多{plan.position:.1f}%仓位。"),
        "HOLD": both(
            f"Keep at most {plan.position:.1f}% of the book, no new buying.",
            f"持有不超过{plan.position:.1f}%仓位，不新增买入。",
        ),
        "SELL": both("Exit the position.", "清仓退出。"),
    }[plan.action]
    lv = plan.levels
    levels = None
    if plan.action != "SELL" and lv.stop_pct is not None:
        levels = both(
            f"Stop {pct(lv.stop_pct, sign=True)} and take profit {pct(lv.target_pct, sign=True)} from the close.",
            f"止损{pct(lv.stop_pct, sign=True)}，止盈{pct(lv.target_pct, sign=True)}（相对收盘价）。",
        )
    return join(first, size, levels)


__all__ = ["evidence", "levels_text", "narrative", "narratives", "rationale", "table"]
