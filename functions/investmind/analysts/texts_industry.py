"""The industry analyst's body and evidence, in English and Chinese (one ``wording.Text`` per sentence)."""

from __future__ import annotations

from .wording import Text

HEAD = Text(
    "{symbol} ({industry}) vs the CSI 300 and peers ({peers}).", "{symbol}（{industry}）对比沪深300与同业（{peers}）。"
)
NO_INDUSTRY = Text("no industry classification", "无行业分类")
NO_PEERS = Text("none in the market data", "市场数据中无同业")
TABLE = Text(
    "| horizon | stock | CSI 300 | peer median |\n|---|---|---|---|\n",
    "| 周期 | 个股 | 沪深300 | 同业中位数 |\n|---|---|---|---|\n",
)
ROW = Text("| {days}d | {own} | {index} | {peers} |", "| {days}日 | {own} | {index} | {peers} |")
STRENGTH = Text(
    "Weighted relative strength: {rs_index} vs the index (**{vs_index}**), {rs_peers} vs peers (**{vs_peers}**); "
    "sector rotation: **{sector}**.",
    "加权相对强度：相对指数{rs_index}（**{vs_index}**），相对同业{rs_peers}（**{vs_peers}**）；板块轮动：**{sector}**。",
)

EVIDENCE_RETURN = Text("{days}d return {ret}", "{days}日涨跌{ret}")
EVIDENCE_VS_INDEX = Text("{days}d vs CSI 300 {rs}", "{days}日相对沪深300为{rs}")
EVIDENCE_VS_PEERS = Text("{days}d vs peers {rs}", "{days}日相对同业为{rs}")
EVIDENCE_RANK = Text("60d rank among peers {rank} of {total}", "60日同业排名：{total}只中第{rank}")
