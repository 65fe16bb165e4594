"""The fundamental analyst's body and evidence, in English and Chinese (one ``wording.Text`` per sentence)."""

from __future__ import annotations

from .wording import Text

LEVERAGE_WORDS = {"high": "偏高", "low": "偏低", "moderate": "适中"}

VALUATION = Text(
    "PE(TTM) {pe}, PB {pb}, PS {ps}, PCF {pcf}{age}: at the {pe_pct} / {pb_pct} / {ps_pct} / {pcf_pct} percentiles of "
    "the last {years} years (PE/PB/PS mean {mean}; PCF, on net cash flow, not scored); valuation **{valuation}**. "
    "ROE (PB/PE) {roe}, earnings yield {earnings_yield}.",
    "市盈率(TTM){pe}，市净率{pb}，市销率{ps}，市现率{pcf}{age}：分别位于近{years}年历史的{pe_pct} / {pb_pct} / "
    "{ps_pct} / {pcf_pct}百分位（PE/PB/PS均值{mean}；市现率基于净现金流，不计分）；估值**{valuation}**。"
    "净资产收益率（PB/PE）{roe}，盈利收益率{earnings_yield}。",
)
AGE = Text(" (the latest values, {days} days old)", "（最新可得值，距今{days}天）")
NO_VALUATION = Text(
    "No valuation series in the market data for this stock and date; valuation not scored.",
    "市场数据中没有该股票在该日的估值序列；估值不计分。",
)
REPORT = Text(
    "Latest report known by {as_of} (period ending {period}): net profit {profit} and revenue {revenue} year on year; "
    "ROE {roe} annualised; net margin {net_margin}; debt/assets {debt}.",
    "截至{as_of}已知的最新财报（报告期截至{period}）：净利润同比{profit}，营业收入同比{revenue}；年化ROE {roe}；"
    "净利率{net_margin}；资产负债率{debt}。",
)
STALE = Text(
    "The latest financial report (period ending {period}) is stale at {as_of}; not scored.",
    "最新财报（报告期截至{period}）在{as_of}已过时；不计分。",
)
NO_REPORTS = Text(
    "No quarterly financial reports in the market data for this stock; growth not scored.",
    "市场数据中没有该股票的季度财报；成长性不计分。",
)
LABELS = Text(
    "Quality **{quality}**, growth **{growth}**, leverage **{leverage}**.",
    "质量**{quality}**，成长**{growth}**，杠杆**{leverage}**。",
)

EVIDENCE_PE = Text("PE(TTM) {pe} at the {rank} of {years} years", "市盈率(TTM){pe}，位于近{years}年的{rank}")
EVIDENCE_PB = Text("PB {pb} at the {rank}", "市净率{pb}，位于{rank}")
EVIDENCE_PS = Text("PS {ps}; PE/PB/PS mean percentile {mean}", "市销率{ps}；PE/PB/PS平均百分位{mean}")
EVIDENCE_ROE = Text("ROE (PB/PE) {roe}", "净资产收益率（PB/PE）{roe}")
EVIDENCE_GROWTH = Text("net profit growth {growth} YoY", "净利润同比{growth}")
EVIDENCE_REPORTED_ROE = Text("annualised ROE {roe}", "年化ROE {roe}")
EVIDENCE_DEBT = Text("debt/assets {debt}", "资产负债率{debt}")
EVIDENCE_LABELS = Text("valuation {valuation}, quality {quality}", "估值{valuation}，质量{quality}")
