"""The capital-flow analyst's body and evidence, in English and Chinese (one ``wording.Text`` per sentence)."""

from __future__ import annotations

from .wording import Text

SHORT_TERM_WORDS = {"strong": "偏强", "weak": "偏弱", "neutral": "中性"}

TURNOVER = Text("turnover {t5}% over 5 days vs {t60}% over 60 (x{ratio})", "5日换手率{t5}%，60日为{t60}%（{ratio}倍）")
NO_TURNOVER = Text("no turnover data in the source for this period", "数据源在此期间无换手率数据")
VOLUME = Text(
    "Volume 5d/20d x{ratio} with the price {ret} over 5 days; {turnover}.",
    "5日/20日量比{ratio}倍，同期5日价格{ret}；{turnover}。",
)
FLOW = Text(
    "OBV 20-day slope {obv} and A/D slope {ad} (average daily volumes per day); MFI(14) {mfi}; up-day vs down-day "
    "volume over 20 days x{up_down}.",
    "20日OBV斜率{obv}、A/D斜率{ad}（单位：日均成交量/日）；MFI(14)为{mfi}；20日内上涨日与下跌日成交量之比为{up_down}倍。",
)
STRENGTH = Text(
    "5-day move {ret}, {z} standard deviations of its recent noise: short-term strength **{short_term}**. "
    "Intent: **{intent}**.",
    "5日涨跌{ret}，相当于近期波动的{z}个标准差：短线强度**{short_term}**。资金意图：**{intent}**。",
)

EVIDENCE_VOLUME = Text("volume ratio 5d/20d x{ratio}", "5日/20日量比{ratio}倍")
EVIDENCE_SLOPES = Text(
    "OBV slope {obv} ADV/day, A/D slope {ad} ADV/day", "OBV斜率{obv}、A/D斜率{ad}（单位：日均成交量/日）"
)
EVIDENCE_MFI = Text("MFI(14) {mfi}", "MFI(14)为{mfi}")
EVIDENCE_UP_DOWN = Text("up/down volume x{up_down}", "上涨日/下跌日量比{up_down}倍")
EVIDENCE_MOVE = Text("5-day move {ret} = {z} sd", "5日涨跌{ret}，合{z}个标准差")
EVIDENCE_TURNOVER = Text("turnover 5d/60d x{ratio}", "5日/60日换手率之比{ratio}倍")
