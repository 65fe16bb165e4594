"""The technical analyst's body and evidence, in English and Chinese (one ``wording.Text`` per sentence).

A signal value can read differently by context in Chinese (``bullish`` is 多头 for the MACD and
多头排列 for the moving averages), so each signal has its own word table here.
"""

from __future__ import annotations

from .wording import Text

MACD_WORDS = {"bullish": "多头", "bearish": "空头", "bullish cross": "金叉", "bearish cross": "死叉"}
ALIGNMENT_WORDS = {"bullish": "多头排列", "bearish": "空头排列", "mixed": "交织"}
STRENGTH_WORDS = {"strong": "趋势明确", "weak": "趋势不明"}
"""ADX(14) at or above 25 (a trending market) or below it."""
RSI_WORDS = {"neutral": "中性区间"}
BOLLINGER_WORDS = {"above upper": "突破上轨", "below lower": "跌破下轨", "inside": "轨道内"}
SOURCE_WORDS = {
    "swing low": "波段低点",
    "20-day low": "20日低点",
    "swing high": "波段高点",
    "20-day high": "20日高点",
    "3 ATR projection": "3倍ATR推算",
    "resistance": "阻力位",
}

BASIS_TRADED = Text(
    "prices in the traded terms of the last close (earlier bars adjusted to it)",
    "价格为最新收盘价的实际成交口径（此前K线按其复权）",
)
BASIS_ADJUSTED = Text(
    "**only adjusted prices exist for this date: levels are given relative to the close**",
    "**该日仅有复权价格：价位以相对收盘价表示**",
)
CLOSE = Text("Close {close}", "收盘价{close}")
CLOSE_ADJUSTED = Text("Close (adjusted)", "收盘价（复权）")
SMAS = Text("SMA20 {sma20}, SMA60 {sma60}, SMA120 {sma120}", "20日均线{sma20}，60日均线{sma60}，120日均线{sma120}")
SMA60_RELATIVE = Text("SMA60 {gap} from the close", "60日均线相对收盘价{gap}")
RELATIVE_LEVEL = Text("close {gap}", "收盘价{gap}")
TREND = Text(
    "{close}; {smas} (alignment {alignment}); close {gap} vs SMA60, whose 10-day slope is {slope}. Trend **{trend}**, "
    "ADX(14) {adx} ({strength}).",
    "{close}；{smas}（均线{alignment}）；收盘价较60日均线{gap}，该均线10日斜率{slope}。趋势**{trend}**，"
    "ADX(14)为{adx}（{strength}）。",
)
MOMENTUM = Text(
    "MACD {macd} vs signal {signal} (histogram {hist}, {state}); RSI(14) {rsi} ({zone}); Bollinger %b {pctb} "
    "({bollinger}).",
    "MACD为{macd}，信号线{signal}（柱{hist}，{state}）；RSI(14)为{rsi}（{zone}）；布林带%b为{pctb}（{bollinger}）。",
)
LEVELS = Text(
    "ATR(14) {atr} of price; support {support} ({support_from}), resistance {resistance} ({resistance_from}); {basis}.",
    "ATR(14)为价格的{atr}；支撑位{support}（{support_from}），阻力位{resistance}（{resistance_from}）；{basis}。",
)
RANGES = Text(
    "Buy range {buy_low} to {buy_high}, sell range {sell_low} to {sell_high} (target from {target_from}), stop {stop}.",
    "买入区间{buy_low}至{buy_high}，卖出区间{sell_low}至{sell_high}（目标取自{target_from}），止损{stop}。",
)

EVIDENCE_TREND = Text(
    "trend {trend} ({strength}, ADX {adx}): close {gap} vs SMA60",
    "趋势{trend}（{strength}，ADX {adx}）：收盘价较60日均线{gap}",
)
EVIDENCE_MACD = Text("MACD histogram {hist} ({state})", "MACD柱{hist}（{state}）")
EVIDENCE_RSI = Text("RSI(14) {rsi}, Bollinger %b {pctb}", "RSI(14)为{rsi}，布林带%b为{pctb}")
EVIDENCE_LEVELS = Text("support {support} / resistance {resistance}", "支撑位{support} / 阻力位{resistance}")
EVIDENCE_ATR = Text("ATR(14) {atr} of the close", "ATR(14)为收盘价的{atr}")
EVIDENCE_RANGES = Text(
    "buy {buy_low} to {buy_high}, sell {sell_low} to {sell_high}, stop {stop}",
    "买入{buy_low}至{buy_high}，卖出{sell_low}至{sell_high}，止损{stop}",
)
