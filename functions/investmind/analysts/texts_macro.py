"""The macro analyst's body and evidence, in English and Chinese (one ``wording.Text`` per sentence).

Kept apart from ``macro`` so that the analysis reads without the sentences around it; the caller
formats every figure once and passes the same strings to either language.
"""

from __future__ import annotations

from .wording import Text

WORDS = {
    "money": "货币",
    "credit": "信用",
    "rates": "利率",
    "total social financing": "社会融资规模",
    "new loans": "新增贷款",
    "high": "高位",
    "low": "低位",
    "normal": "常态",
    "neutral": "中性",
}
"""Chinese for the words this body prints that are not ``wording.ZH``'s (or read otherwise here)."""

INDEX = Text(
    "CSI 300 at {close}: {gap} vs its 200-day average ({ma200}), {ret} over 60 days, {drawdown} from its high of the "
    "last {days}. Realised 20-day volatility {vol} ({rank}: {vol_regime}). Regime **{regime}**.",
    "沪深300收于{close}：较200日均线（{ma200}）{gap}，60日涨跌{ret}，距近{days}内高点{drawdown}。"
    "20日已实现波动率{vol}（{rank}：{vol_regime}）。市场格局**{regime}**。",
)
VOL_RANK = Text("{ordinal} of {days}", "近{days}中的{ordinal}")
NO_INDEX = Text(
    "No CSI 300 data at this date: regime and index volatility not read.",
    "该日无沪深300数据：未判断市场格局与指数波动率。",
)
BREADTH = Text(
    "Breadth: {share} of {n} stocks above their 60-day average{scored}.",
    "市场宽度：{n}只股票中{share}位于60日均线之上{scored}。",
)
NOT_SCORED = Text(" (fewer than {least}: not scored)", "（不足{least}只：不计分）")
CHANNEL = Text("{channel} {vote}", "{channel}{vote}")
NO_SERIES = Text("no series", "无序列数据")
RATES = Text(
    "3-month Shibor {rate}% ({change} points in six months)", "3个月Shibor为{rate}%（六个月变动{change}个百分点）"
)
NO_RATES = Text("no current Shibor", "无当期Shibor数据")
MONEY = Text(
    "Money and credit: M2 {m2}% y/y ({m2_change} points in six months), M1 {m1}% (M1-M2 {gap} points); 12-month "
    "{credit} {credit_growth}% y/y ({credit_change} points); {rates}. Channels {channels}: liquidity **{liquidity}**.",
    "货币与信用：M2同比{m2}%（六个月变动{m2_change}个百分点），M1同比{m1}%（M1-M2剪刀差{gap}个百分点）；"
    "12个月{credit}同比{credit_growth}%（变动{credit_change}个百分点）；{rates}。各渠道{channels}：流动性**{liquidity}**。",
)
ACTIVITY = Text(
    "Activity and prices: manufacturing PMI {pmi} (3-month mean {pmi3}, **{growth}**), non-manufacturing {nonmfg}; "
    "CPI {cpi}%, PPI {ppi}% y/y (**{inflation}**). Each figure is read from the day it was published.",
    "景气与价格：制造业PMI为{pmi}（近3个月均值{pmi3}，**{growth}**），非制造业PMI为{nonmfg}；CPI同比{cpi}%，"
    "PPI同比{ppi}%（**{inflation}**）。各项数据均自其发布日起读取。",
)

EVIDENCE_INDEX = Text("CSI 300 {gap} vs MA200, {ret} over 60 days", "沪深300较200日均线{gap}，60日涨跌{ret}")
EVIDENCE_VOL = Text("20-day vol {vol} ({vol_regime})", "20日波动率{vol}（{vol_regime}）")
EVIDENCE_BREADTH = Text("breadth {share} of {n} stocks above MA60", "市场宽度：{n}只股票中{share}位于60日均线之上")
EVIDENCE_M2 = Text(
    "M2 {m2}% ({change} pt / 6 months): liquidity {liquidity}",
    "M2同比{m2}%（6个月变动{change}个百分点）：流动性{liquidity}",
)
EVIDENCE_CREDIT = Text("credit growth {growth}% ({change} pt)", "信用增速{growth}%（变动{change}个百分点）")
EVIDENCE_ACTIVITY = Text(
    "PMI 3-month {pmi} ({growth}), CPI {cpi}% ({inflation})",
    "PMI近3个月均值{pmi}（{growth}），CPI同比{cpi}%（{inflation}）",
)
