"""The research directors' body and evidence, and the input table every synthesis prints, in English and Chinese.

One ``wording.Text`` per sentence; the core conflict the signals keep in English (``synthesis.CONFLICT``)
is rendered in the run's language with ``wording.localize``.
"""

from __future__ import annotations

from .wording import Text

STATE_WORDS = {
    "bullish strengthening": "多头增强",
    "bullish fading": "多头减弱",
    "bearish strengthening": "空头增强",
    "bearish fading": "空头减弱",
    "turning up": "拐头向上",
    "turning down": "拐头向下",
}
"""The MACD histogram's sign and direction, as the momentum director reads them."""

TABLE_HEAD = Text(
    "| input | stance | score | confidence | weight |\n|---|---|---|---|---|\n",
    "| 输入 | 立场 | 评分 | 置信度 | 权重 |\n|---|---|---|---|---|\n",
)
FAILED = Text("failed", "失败")
NOT_RUN = Text("not run", "未运行")

SCORE = Text(
    "Confidence-weighted score {score} -> grade **{grade}**, trend **{trend}**; {conflict}. Coverage {coverage} of the "
    "input weight, agreement {agreement}. {outlook}",
    "置信度加权评分{score}，评级**{grade}**，趋势**{trend}**；{conflict}。输入权重覆盖{coverage}，一致度{agreement}。{outlook}",
)
CORE_CONFLICT = Text("core conflict: {conflict}", "核心分歧：{conflict}")
AGREE = Text("inputs agree in direction", "各项输入方向一致")
OUTLOOK = Text(
    "Momentum **{state}**; breakout odds **{odds_label}** ({odds}).",
    "动量**{state}**；突破概率**{odds_label}**（{odds}）。",
)
MISSING = Text(" Missing (failed): {agents}.", "缺失（运行失败）：{agents}。")

EVIDENCE_INPUT = Text(
    "{agent} {stance} {score} (confidence {confidence})", "{agent} {stance} {score}（置信度{confidence}）"
)
EVIDENCE_FAILED = Text("{agent} failed: not counted", "{agent}运行失败：不计入")
EVIDENCE_SCORE = Text(
    "weighted score {score}, grade {grade} ({trend}), coverage {coverage}",
    "加权评分{score}，评级{grade}（{trend}），覆盖{coverage}",
)

SKIPPED = Text("**{title}: skipped** ({reason})", "**{title}：已跳过**（{reason}）")
NOT_SELECTED = Text("none of its inputs ({inputs}) was selected", "其输入（{inputs}）均未被选择")
"""The reason a director skipped: kept in English in its signals, shown in the run's language."""
