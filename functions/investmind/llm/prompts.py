"""The prompts: the agent's computed numbers and its upstream results, in English or Chinese.

A prompt carries what the quant core computed (labels, rounded metrics, evidence) and one line per
upstream result, never raw bars or whole upstream summaries: the model interprets numbers, it does
not recompute them, and a short prompt keeps the cost per agent small.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..models import AgentResult, AgentStatus, TaskContext
from ..roster import get_agent
from .reply import HORIZON_RANGE, MAX_CONFIDENCE_SHIFT, MAX_SCORE_SHIFT

MAX_METRICS = 40
"""Enough for the richest role (technical); keeps a prompt near a thousand tokens."""

_TEXT = {
    "en": {
        "system": (
            "You are the {title} ({role}) of InvestMind, a team of analysts covering Chinese A-shares. "
            "A quant core has already computed your numbers from market data; they are facts. Write your "
            "view as a short, specific markdown narrative in English that cites those numbers and never "
            "invents others. You may move the score by at most {shift:g} points and the confidence by at "
            "most {conf:g}, but the stance must stay {stance} and the score must stay in its band "
            "(bullish >= 15, bearish <= -15, neutral between). Name the stance word '{stance}' in the "
            "narrative. Reply only with the JSON object the schema describes."
        ),
        "manager": (
            " You also write the decision: keep action {action} and rating {rating}; position_pct may only be "
            "lowered from {position:g} (the risk directors' caps); horizon_days within {h_low}..{h_high}; the "
            "rationale starts with '**{action} ({rating})**', cites the numbers and names no other action "
            "(BUY, HOLD, SELL) anywhere, in the narrative either."
        ),
        "subject": "Stock: {symbol} {name} (industry: {industry}), as of {as_of}.",
        "quant": "Your quant result: stance {stance}, score {score:+.1f}, confidence {confidence:.2f}.",
        "signals": "Signals",
        "metrics": "Metrics",
        "evidence": "Evidence",
        "upstream": "Upstream results",
        "none": "none",
        "decision": "Computed decision",
        "repair": (
            "Your previous reply was rejected: {problems}. Reply again with one JSON object that fixes every "
            "problem and keeps to the rules above."
        ),
    },
    "zh": {
        "system": (
            "你是 InvestMind（A 股多智能体分析团队）的{title}（{role}）。量化核心已根据市场数据算出你的各项数值，"
            "这些是事实。请用简体中文写一段简短、具体的 markdown 分析，引用这些数值，绝不编造其他数字。"
            "评分最多可调整 {shift:g} 分，置信度最多调整 {conf:g}，但立场必须保持为 {stance}，"
            "评分必须留在该立场区间内（看多 >= 15，看空 <= -15，其间为中性）。"
            "叙述中必须写出立场词（{stance_zh}）。只回复符合 schema 的 JSON 对象，"
            "stance 字段使用英文取值。"
        ),
        "manager": (
            " 你还要撰写决策：action 保持 {action}、rating 保持 {rating}；position_pct 只能从 {position:g} 下调"
            "（风控上限）；horizon_days 在 {h_low}..{h_high} 之间；rationale 以“**{action} ({rating})**”开头，"
            "引用数值，且在 rationale 和叙述中都不出现其他英文操作词（BUY、HOLD、SELL）。"
        ),
        "subject": "股票：{symbol} {name}（行业：{industry}），分析日期 {as_of}。",
        "quant": "你的量化结果：立场 {stance}，评分 {score:+.1f}，置信度 {confidence:.2f}。",
        "signals": "信号",
        "metrics": "指标",
        "evidence": "证据",
        "upstream": "上游结果",
        "none": "无",
        "decision": "量化决策",
        "repair": "你上一次的回复未通过校验：{problems}。请重新回复一个修正了全部问题、并遵守上述规则的 JSON 对象。",
    },
}
_STANCE_ZH = {"bullish": "看多", "neutral": "中性", "bearish": "看空"}


def system_prompt(quant: AgentResult, language: str) -> str:
    text = _TEXT[language]
    spec = get_agent(quant.agent_id)
    title, role = (spec.title_zh, spec.role_zh) if language == "zh" else (spec.title, spec.role)
    out = text["system"].format(
        title=title,
        role=role,
        shift=MAX_SCORE_SHIFT,
        conf=MAX_CONFIDENCE_SHIFT,
        stance=quant.stance.value,
        stance_zh=_STANCE_ZH[quant.stance.value],
    )
    decision = quant.decision
    if decision is not None:
        low, high = (round(decision.horizon_days * f) for f in HORIZON_RANGE)
        out += text["manager"].format(
            action=decision.action, rating=decision.rating, position=decision.position_pct, h_low=low, h_high=high
        )
    return out


def user_prompt(quant: AgentResult, context: TaskContext, upstream: Mapping[str, AgentResult], language: str) -> str:
    """The subject, the agent's own numbers, and one line per upstream result it reads."""
    text = _TEXT[language]
    lines = [
        text["subject"].format(
            symbol=context.symbol,
            name=context.name or "",
            industry=context.industry or "n/a",
            as_of=context.as_of.isoformat(),
        ),
        text["quant"].format(stance=quant.stance.value, score=quant.score, confidence=quant.confidence),
        f"{text['signals']}: {_compact(quant.signals)}",
        f"{text['metrics']}: {_compact(_metrics(quant.metrics))}",
        f"{text['evidence']}:",
        *(f"- {item}" for item in quant.evidence),
    ]
    if quant.decision is not None:
        decision = quant.decision.model_dump(mode="json", exclude={"rationale"})
        lines += [f"{text['decision']}: {_compact(decision)}", quant.decision.rationale]
    reads = get_agent(quant.agent_id).reads
    rows = [_upstream_line(upstream[a]) for a in reads if a in upstream]
    lines.append(f"{text['upstream']}:" + ("" if rows else f" {text['none']}"))
    lines += rows
    return "\n".join(lines)


def repair_prompt(problems: str, language: str) -> str:
    return _TEXT[language]["repair"].format(problems=problems)


def _upstream_line(result: AgentResult) -> str:
    if result.status != AgentStatus.succeeded:
        return f"- {result.agent_id}: {result.status.value}" + (f" ({result.error})" if result.error else "")
    labels = {k: v for k, v in result.signals.items() if isinstance(v, str)}
    return (
        f"- {result.agent_id}: {result.stance.value} {result.score:+.1f} (confidence {result.confidence:.2f}); "
        f"{_compact(labels)}"
    )


def _metrics(metrics: Mapping[str, Any]) -> dict[str, Any]:
    """Known values only, rounded to what a reader needs, at most ``MAX_METRICS`` of them."""
    out = {}
    for key, value in metrics.items():
        if value is None:
            continue
        out[key] = round(value, 4) if isinstance(value, float) and abs(value) < 10 else round(value, 2)
        if len(out) >= MAX_METRICS:
            break
    return out


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
