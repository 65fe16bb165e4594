"""The decision manager's words: rationale, evidence and narrative, from the plan's own fields only.

Each sentence is one ``wording.Text`` in both languages; the notes the signals keep in English (risk
caps, stand-ins, where the base size came from) are written by the templates below and rendered in
the run's language with ``wording.localize``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..models import AgentResult
from . import narratives, texts_directors
from .common import fmt, pct, signed
from .synthesis import Inputs
from .wording import STANCE_WORD, Text, join, language, listing, localize, word

if TYPE_CHECKING:
    from ..models import Stance
    from .manager import _Plan

# Notes the signals store (in English), written by sizing and the manager with ``.english``.
CRASH_RATING_CAP = Text(
    "crash risk elevated: rating capped at Overweight", "崩盘风险偏高：评级上限为Overweight（增持）"
)
CRASH_HALVED = Text("crash risk elevated: position halved", "崩盘风险偏高：仓位减半")
VOLATILE_CAP = Text("high single-name volatility: position capped at {cap}%", "个股波动率高：仓位上限{cap}%")
STAND_IN = Text(
    "{director} failed; its inputs stand in at {share} confidence",
    "{director}运行失败，以其输入的综合结果代替（置信度{share}）",
)
BASE_FROM_PORTFOLIO = Text(
    "the portfolio risk director's volatility-targeted size", "组合风险总监按波动率目标给出的仓位"
)
BASE_COMPUTED = Text(
    "a volatility-targeted size computed here, the portfolio risk director being unavailable",
    "组合风险总监不可用，此处按波动率目标计算的仓位",
)
BASE_FALLBACK = Text("a minimal fallback size, with no volatility estimate", "无波动率估计时的最小备用仓位")
NOTES = (CRASH_RATING_CAP, CRASH_HALVED, VOLATILE_CAP, STAND_IN, BASE_FROM_PORTFOLIO, BASE_COMPUTED, BASE_FALLBACK)

EXIT = Text("Position 0% (exit).", "仓位0%（清仓）。")
FACTORS = Text("{base}% ({source}) x confidence {confidence}", "{base}%（{source}）× 置信度{confidence}")
RISK_CAP = Text(" x {factor} (risk cap)", " × {factor}（风险上限）")
HOLD_SCALE = Text(" x {scale} (hold scale at this score)", " × {scale}（该评分下的持有比例）")
CEILING = Text(", capped at {ceiling}%", "，上限{ceiling}%")
HOLD_SIZE = Text(
    "Keep at most {position}% of the book, trimming above it; no new buying. ({factors}.)",
    "持仓不超过{position}%，超出部分减持；不新增买入。（{factors}。）",
)
BUY_SIZE = Text("Position {position}% = {factors}.", "仓位{position}% = {factors}。")
NO_ATR = Text("No stop or target: too little price history for an ATR.", "无止损与止盈：价格历史太短，无法计算ATR。")
RELATIVE_ENTRY = Text("entry from close {low} up to the close, ", "买入区间为收盘价{low}至收盘价，")
RELATIVE_LEVELS = Text(
    "Only adjusted prices exist for this date, so levels are relative to the close: {entry}stop {stop}, take profit "
    "{target}.",
    "该日仅有复权价格，价位以相对收盘价表示：{entry}止损{stop}，止盈{target}。",
)
ENTRY = Text("Entry {low}-{high}, ", "买入区间{low}-{high}，")
PROTECTIVE = Text("Protective ", "保护性")
LEVELS = Text(
    "{entry}stop {stop} ({stop_pct}), take profit {target} ({target_pct}).",
    "{entry}止损{stop}（{stop_pct}），止盈{target}（{target_pct}）。",
)
INPUT = Text("{agent} {score} (confidence {confidence})", "{agent} {score}（置信度{confidence}）")
NO_DECISION = Text(
    "**{action} ({rating})**: no trade decision. Too few agents succeeded to decide: {missing} failed ({used} of "
    "{expected} succeeded). The weighted score of what remains is {score}, from {inputs}; no position advice, no "
    "levels.",
    "**{action}（{rating}）**：不构成交易决策。成功运行的智能体太少，无法决策：{missing}运行失败（{expected}个中"
    "{used}个成功）。其余结果的加权评分为{score}，来自{inputs}；不给仓位建议，不给价位。",
)
SCORED = Text(
    "**{action} ({rating})**: weighted score {score} (action thresholds +/-{threshold}) from {inputs}.",
    "**{action}（{rating}）**：加权评分{score}（操作阈值±{threshold}），来自{inputs}。",
)
CAPS = Text("{caps}.", "{caps}。")
HORIZON = Text("Horizon {days} days.", "持有期{days}天。")
DISSENT = Text("Dissent: {agents}.", "异议：{agents}。")
DEGRADED = Text("Degraded: {agents} failed.", "降级：{agents}运行失败。")
EVIDENCE_INPUT = Text(
    "{agent} {stance} {score} (confidence {confidence})", "{agent} {stance} {score}（置信度{confidence}）"
)
EVIDENCE_NO_DECISION = Text("no trade decision: {missing} failed", "不构成交易决策：{missing}运行失败")
EVIDENCE_ACTION = Text(
    "{action} ({rating}) at score {score}, position {position}%", "{action}（{rating}），评分{score}，仓位{position}%"
)
EVIDENCE_NO_LEVELS = Text("no levels, horizon {days} days", "无价位，持有期{days}天")
EVIDENCE_LEVELS = Text(
    "stop {stop}, take profit {target} from the close, horizon {days} days",
    "止损{stop}、止盈{target}（相对收盘价），持有期{days}天",
)
NARRATIVE_NO_DECISION = Text(
    "{action}, but no trade decision (view {stance}): {missing} failed, too little to decide on. What remains weighs "
    "in at {score}.",
    "{action}，但不构成交易决策（立场{stance}）：{missing}运行失败，依据不足。其余结果加权评分{score}。",
)
NARRATIVE_SCORED = Text(
    "{action} ({rating}), view {stance}: the weighted score is {score} from {inputs}.",
    "{action}（{rating}），立场{stance}：加权评分{score}，来自{inputs}。",
)
NARRATIVE_SIZE = {
    "BUY": Text("Buy up to {position}% of the book.", "买入至多{position}%仓位。"),
    "HOLD": Text("Keep at most {position}% of the book, no new buying.", "持有不超过{position}%仓位，不新增买入。"),
    "SELL": Text("Exit the position.", "清仓退出。"),
}
NARRATIVE_LEVELS = Text(
    "Stop {stop} and take profit {target} from the close.", "止损{stop}，止盈{target}（相对收盘价）。"
)


def table(blocks: Inputs, weights: Mapping[str, float]) -> str:
    rows = [
        f"| {a} | {word(r.stance)} | {signed(r.score)} | {r.confidence:.2f} | {weights[a]:.2f} |"
        for a, r in blocks.used.items()
    ]
    rows += [f"| {a} | {texts_directors.FAILED()} | - | - | {weights[a]:.2f} |" for a in blocks.failed]
    return texts_directors.TABLE_HEAD() + "\n".join(rows)


def _sizing(plan: _Plan) -> str:
    if plan.action == "SELL":
        return EXIT()
    factors = FACTORS(
        base=f"{plan.base:.1f}", source=localize(plan.base_source, NOTES), confidence=f"{plan.confidence:.2f}"
    )
    if plan.factor != 1.0:
        factors += RISK_CAP(factor=f"{plan.factor:g}")
    if plan.action == "HOLD":
        factors += HOLD_SCALE(scale=f"{plan.scale:.2f}")
    if plan.ceiling is not None and plan.position >= plan.ceiling:
        factors += CEILING(ceiling=f"{plan.ceiling:g}")
    size = HOLD_SIZE if plan.action == "HOLD" else BUY_SIZE
    return size(position=f"{plan.position:.1f}", factors=factors)


def levels_text(plan: _Plan) -> str | None:
    lv = plan.levels
    if plan.action == "SELL":
        return None
    if lv.stop_pct is None:
        return NO_ATR()
    stop, target = pct(lv.stop_pct, sign=True), pct(lv.target_pct, sign=True)
    if lv.basis == "adjusted":
        entry = RELATIVE_ENTRY(low=pct(lv.entry_pct[0], sign=True)) if lv.entry_pct is not None else ""
        return RELATIVE_LEVELS(entry=entry, stop=stop, target=target)
    entry = ENTRY(low=fmt(lv.entry[0]), high=fmt(lv.entry[1])) if lv.entry is not None else PROTECTIVE()
    return LEVELS(entry=entry, stop=fmt(lv.stop), stop_pct=stop, target=fmt(lv.target), target_pct=target)


def rationale(
    plan: _Plan, blocks: Inputs, notes: list[str], dissent: list[str], everything: Inputs, act_at: float
) -> str:
    inputs = listing(
        INPUT(agent=a, score=signed(r.score), confidence=f"{r.confidence:.2f}") for a, r in blocks.used.items()
    )
    if not plan.tradeable:
        return NO_DECISION(
            action=plan.action, rating=plan.rating, missing=listing(plan.missing), used=len(everything.used),
            expected=len(everything.used) + len(everything.failed), score=signed(plan.score, 1), inputs=inputs,
        )  # fmt: skip
    parts = [SCORED(action=plan.action, rating=plan.rating, score=signed(plan.score, 1), threshold=f"{act_at:g}",
                    inputs=inputs)]  # fmt: skip
    if plan.caps or notes:
        separator = "; " if language() == "en" else "；"
        parts.append(CAPS(caps=separator.join(localize(n, NOTES) for n in plan.caps + notes)))
    parts.append(_sizing(plan))
    parts.append(levels_text(plan) or "")
    parts.append(HORIZON(days=plan.horizon))
    if dissent:
        parts.append(DISSENT(agents=listing(dissent)))
    if everything.degraded:
        parts.append(DEGRADED(agents=listing(everything.failed)))
    return join(*parts)


def evidence(plan: _Plan, blocks: Inputs) -> list[str]:
    words = STANCE_WORD[language()]
    out = [
        EVIDENCE_INPUT(agent=a, stance=words[r.stance], score=signed(r.score), confidence=f"{r.confidence:.2f}")
        for a, r in blocks.used.items()
    ]
    if not plan.tradeable:
        out.append(EVIDENCE_NO_DECISION(missing=listing(plan.missing)))
        return out
    out.append(EVIDENCE_ACTION(
        action=plan.action, rating=plan.rating, score=signed(plan.score, 1), position=f"{plan.position:.1f}"
    ))  # fmt: skip
    lv = plan.levels
    if plan.action == "SELL" or lv.stop_pct is None:
        out.append(EVIDENCE_NO_LEVELS(days=plan.horizon))
    else:
        stop, target = pct(lv.stop_pct, sign=True), pct(lv.target_pct, sign=True)
        out.append(EVIDENCE_LEVELS(stop=stop, target=target, days=plan.horizon))
    return out


def narrative(plan: _Plan, stance: Stance, used: Mapping[str, AgentResult]) -> str:
    if not plan.tradeable:
        return NARRATIVE_NO_DECISION(
            action=plan.action, stance=word(stance), missing=listing(plan.missing), score=signed(plan.score, 1)
        )
    inputs = listing(f"{a} {signed(r.score)}" for a, r in used.items())
    first = NARRATIVE_SCORED(
        action=plan.action, rating=plan.rating, stance=word(stance), score=signed(plan.score, 1), inputs=inputs
    )
    size = NARRATIVE_SIZE[plan.action](position=f"{plan.position:.1f}")
    lv = plan.levels
    levels = None
    if plan.action != "SELL" and lv.stop_pct is not None:
        levels = NARRATIVE_LEVELS(stop=pct(lv.stop_pct, sign=True), target=pct(lv.target_pct, sign=True))
    return join(first, size, levels)


__all__ = ["NOTES", "evidence", "levels_text", "narrative", "narratives", "rationale", "table"]
