"""Each role's narrative without an LLM: two to four sentences from its own computed figures, in English or Chinese.

Every number a narrative cites is one of the result's metrics (or its score) in the same formatting
as the body; the stance word appears once and no other stance word appears at all (sub-labels that
share a stance word, such as a "neutral" liquidity reading, are written as "balanced" / 平稳), so the
text can never contradict the fields. ``language`` is ``INVESTMIND_LLM_LANGUAGE`` (en | zh).
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from ..models import Stance
from .common import fmt, ordinal, pct, signed

LANGUAGES = ("en", "zh")
LANGUAGE: ContextVar[str] = ContextVar("investmind_narrative_language", default="en")
"""The language of the narratives being written (set by ``analysts.analyze``)."""
STANCE_WORD = {
    "en": {Stance.bullish: "bullish", Stance.neutral: "neutral", Stance.bearish: "bearish"},
    "zh": {Stance.bullish: "看多", Stance.neutral: "中性", Stance.bearish: "看空"},
}
ZH = {
    # macro
    "bull": "多头",
    "range": "震荡",
    "bear": "空头",
    "loose": "宽松",
    "tight": "偏紧",
    "balanced": "平稳",
    "expanding": "扩张",
    "stable": "持平",
    "contracting": "收缩",
    "deflationary": "通缩压力",
    "moderate": "温和",
    "inflationary": "通胀压力",
    # industry
    "leading": "领先",
    "in line": "持平",
    "lagging": "落后",
    "in favour": "受资金青睐",
    "out of favour": "不受青睐",
    # technical, funds
    "up": "上行",
    "down": "下行",
    "sideways": "横盘",
    "strong": "强",
    "weak": "弱",
    "overbought": "超买",
    "oversold": "超卖",
    "mid-range": "中间区域",
    "positive": "为正",
    "negative": "为负",
    "accumulate": "吸筹",
    "wait": "观望",
    "distribute": "派发",
    # fundamental
    "cheap": "便宜",
    "fair": "合理",
    "expensive": "偏贵",
    "high": "高",
    "average": "中等",
    "low": "低",
    "growing": "增长",
    "flat": "持平",
    "shrinking": "下滑",
    # directors, risk
    "improving": "改善",
    "deteriorating": "转弱",
    "elevated": "偏高",
    "medium": "中等",
    "normal": "正常",
    "n/a": "无数据",
}


def language() -> str:
    return LANGUAGE.get()


def word(stance: Stance) -> str:
    return STANCE_WORD[language()][stance]


def label(value: str) -> str:
    """A signal label as the narrative writes it (``neutral`` sub-labels become ``balanced``)."""
    value = "balanced" if value == "neutral" else value
    return ZH.get(value, value) if language() == "zh" else value


def join(*sentences: str | None) -> str:
    return " ".join(s for s in sentences if s) if language() == "en" else "".join(s for s in sentences if s)


def both(en: str, zh: str) -> str:
    return zh if language() == "zh" else en


def macro(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str]) -> str:
    index = None
    if m.get("index_close") is not None:
        index = both(
            f"Macro view {word(stance)}: the CSI 300 stands {pct(m['trend_gap_200'], sign=True)} against its "
            f"200-day average and moved {pct(m['ret_60'], sign=True)} over 60 days ({label(s['regime'])} regime).",
            f"宏观立场{word(stance)}：沪深300较200日均线{pct(m['trend_gap_200'], sign=True)}，"
            f"60日涨跌{pct(m['ret_60'], sign=True)}（{label(s['regime'])}格局）。",
        )
    else:
        index = both(f"Macro view {word(stance)}, without CSI 300 data.", f"宏观立场{word(stance)}（无沪深300数据）。")
    money = None
    if s["liquidity"] != "n/a":
        money = both(
            f"Liquidity is {label(s['liquidity'])}: M2 growth {fmt(m['m2_yoy'], 1)}% "
            f"({signed(m['m2_change_6m'] or 0.0, 1)} points in six months), credit growth "
            f"{fmt(m['credit_growth'], 1)}% ({signed(m['credit_change_6m'] or 0.0, 1)} points).",
            f"流动性{label(s['liquidity'])}：M2同比{fmt(m['m2_yoy'], 1)}%"
            f"（六个月变动{signed(m['m2_change_6m'] or 0.0, 1)}个百分点），信用增速{fmt(m['credit_growth'], 1)}%"
            f"（变动{signed(m['credit_change_6m'] or 0.0, 1)}个百分点）。",
        )
    activity = None
    if s["growth"] != "n/a":
        activity = both(
            f"The manufacturing PMI averages {fmt(m['pmi_mfg_3m'], 1)} over three months ({label(s['growth'])}); "
            f"CPI {fmt(m['cpi_yoy'], 1)}%, PPI {fmt(m['ppi_yoy'], 1)}% ({label(s['inflation'])}).",
            f"制造业PMI近三个月均值{fmt(m['pmi_mfg_3m'], 1)}（{label(s['growth'])}）；"
            f"CPI同比{fmt(m['cpi_yoy'], 1)}%，PPI同比{fmt(m['ppi_yoy'], 1)}%（{label(s['inflation'])}）。",
        )
    breadth = None
    if m.get("breadth_60") is not None:
        breadth = both(
            f"Breadth: {pct(m['breadth_60'], 0)} of {m['breadth_n']:.0f} stocks close above their 60-day average.",
            f"市场宽度：{m['breadth_n']:.0f}只股票中{pct(m['breadth_60'], 0)}收于60日均线之上。",
        )
    return join(index, money, activity, breadth)


def industry(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str]) -> str:
    own = both(
        f"Industry view {word(stance)}: over 60 days the stock returned {pct(m['ret_60'], sign=True)}",
        f"行业立场{word(stance)}：近60日个股涨跌{pct(m['ret_60'], sign=True)}",
    )
    index = None
    if m.get("index_ret_60") is not None:
        index = both(
            f", the CSI 300 {pct(m['index_ret_60'], sign=True)}", f"，沪深300为{pct(m['index_ret_60'], sign=True)}"
        )
    if m["n_peers"]:
        peers = both(
            f" and the median of {m['n_peers']:.0f} peers on the {s['industry']} board "
            f"{pct(m['peer_ret_60'], sign=True)}.",
            f"，{s['industry']}板块{m['n_peers']:.0f}只同业中位数为{pct(m['peer_ret_60'], sign=True)}。",
        )
    else:
        peers = both(
            f"; no other stock of the {s['industry']} board is in the market data.",
            f"；市场数据中没有{s['industry']}板块的其他股票。",
        )
    rs = []
    if m.get("rs_index") is not None:
        rs.append(
            both(
                f"{pct(m['rs_index'], sign=True)} against the index ({label(s['rs_vs_index'])})",
                f"相对指数{pct(m['rs_index'], sign=True)}（{label(s['rs_vs_index'])}）",
            )
        )
    if m.get("rs_peers") is not None:
        rs.append(
            both(
                f"{pct(m['rs_peers'], sign=True)} against peers ({label(s['rs_vs_peers'])})",
                f"相对同业{pct(m['rs_peers'], sign=True)}（{label(s['rs_vs_peers'])}）",
            )
        )
    strength = both(f"Weighted relative strength: {' and '.join(rs)}.", f"加权相对强度：{'，'.join(rs)}。")
    return join("".join(x for x in (own, index, peers) if x), strength)


def technical(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str], traded: bool) -> str:
    hist = "n/a" if m["macd_hist"] is None else "positive" if m["macd_hist"] > 0 else "negative"
    first = both(
        f"Technical view {word(stance)}: the trend is {label(s['trend'])} (ADX {fmt(m['adx14'], 1)}, "
        f"{label(s['trend_strength'])}), the close {pct(m['gap_sma60'], sign=True)} against its 60-day average "
        f"and the MACD histogram {label(hist)} ({fmt(m['macd_hist'])}).",
        f"技术立场{word(stance)}：趋势{label(s['trend'])}（ADX {fmt(m['adx14'], 1)}，{label(s['trend_strength'])}），"
        f"收盘价较60日均线{pct(m['gap_sma60'], sign=True)}，MACD柱{label(hist)}（{fmt(m['macd_hist'])}）。",
    )
    zone = "mid-range" if s["rsi_zone"] == "neutral" else s["rsi_zone"]
    momentum = both(
        f"RSI(14) is {fmt(m['rsi14'], 1)} ({label(zone)}).", f"RSI(14)为{fmt(m['rsi14'], 1)}（{label(zone)}）。"
    )
    if traded:
        levels = both(
            f"Support {fmt(m['support'])} and resistance {fmt(m['resistance'])}, against a close of {fmt(m['close'])}.",
            f"支撑位{fmt(m['support'])}，阻力位{fmt(m['resistance'])}，收盘价{fmt(m['close'])}。",
        )
    else:
        levels = both(
            f"Only adjusted prices exist here, so levels are relative to the close: support "
            f"{pct(m['support_pct'], sign=True)}, resistance {pct(m['resistance_pct'], sign=True)}.",
            f"此处仅有复权价格，价位以相对收盘价表示：支撑{pct(m['support_pct'], sign=True)}，"
            f"阻力{pct(m['resistance_pct'], sign=True)}。",
        )
    return join(first, momentum, levels)


def funds(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str]) -> str:
    first = both(
        f"Capital-flow view {word(stance)}, intent {label(s['intent'])}: over 20 days the OBV slope is "
        f"{fmt(m['obv_slope_20d'])} and the A/D slope {fmt(m['ad_slope_20d'])} average daily volumes per day, "
        f"MFI(14) {fmt(m['mfi14'], 1)}.",
        f"资金面立场{word(stance)}，意图{label(s['intent'])}：20日OBV斜率{fmt(m['obv_slope_20d'])}、A/D斜率"
        f"{fmt(m['ad_slope_20d'])}（单位：日均成交量/日），MFI(14)为{fmt(m['mfi14'], 1)}。",
    )
    second = both(
        f"Volume over 5 days runs x{fmt(m['volume_ratio_5_20'])} its 20-day average while the price moved "
        f"{pct(m['ret_5'], sign=True)}, {fmt(m['strength_5d'])} standard deviations of its recent noise.",
        f"近5日成交量为20日均量的{fmt(m['volume_ratio_5_20'])}倍，同期价格{pct(m['ret_5'], sign=True)}，"
        f"相当于近期波动的{fmt(m['strength_5d'])}个标准差。",
    )
    turnover = None
    if m.get("turnover_ratio") is not None:
        turnover = both(
            f"Turnover {fmt(m['turnover_5d'])}% over 5 days against {fmt(m['turnover_60d'])}% over 60.",
            f"5日换手率{fmt(m['turnover_5d'])}%，60日为{fmt(m['turnover_60d'])}%。",
        )
    return join(first, second, turnover)


def fundamental(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str]) -> str:
    value = None
    if m.get("valuation_pct") is not None:
        value = both(
            f"Fundamental view {word(stance)}: valuation {label(s['valuation'])}, PE {fmt(m['pe_ttm'])}, PB "
            f"{fmt(m['pb_mrq'])} and PS {fmt(m['ps_ttm'])} at a mean {ordinal(m['valuation_pct'])} of their own "
            f"last {fmt(m['valuation_history_years'], 1)} years.",
            f"基本面立场{word(stance)}：估值{label(s['valuation'])}，市盈率{fmt(m['pe_ttm'])}、市净率{fmt(m['pb_mrq'])}、"
            f"市销率{fmt(m['ps_ttm'])}，处于自身近{fmt(m['valuation_history_years'], 1)}年历史的第"
            f"{m['valuation_pct']:.0f}百分位（均值）。",
        )
    else:
        value = both(
            f"Fundamental view {word(stance)}, without a valuation history to rank against.",
            f"基本面立场{word(stance)}（无可比较的估值历史）。",
        )
    roe = m.get("roe_ttm") if m.get("roe_ttm") is not None else m.get("roe_reported_annualised")
    quality = None
    if roe is not None:
        quality = both(
            f"Quality {label(s['quality'])} (ROE {pct(roe)}).", f"质量{label(s['quality'])}（ROE {pct(roe)}）。"
        )
    growth = None
    if m.get("profit_growth_yoy") is not None:
        growth = both(
            f"Growth {label(s['growth'])}: net profit {pct(m['profit_growth_yoy'], sign=True)} year on year.",
            f"成长{label(s['growth'])}：净利润同比{pct(m['profit_growth_yoy'], sign=True)}。",
        )
    return join(value, quality, growth)


def director(title: tuple[str, str], stance: Stance, m: Mapping[str, Any], s: Mapping[str, Any]) -> str:
    inputs = [a for a in s["inputs"]]
    parts = ", ".join(f"{a} {signed(m[f'{a}_score'])}" for a in inputs)
    first = both(
        f"{title[0]} view {word(stance)}, grade {s['grade']} ({label(s['trend'])}): a confidence-weighted blend of "
        f"{parts}, covering {m['coverage'] * 100:.0f}% of the input weight with agreement {fmt(m['agreement'])}.",
        f"{title[1]}立场{word(stance)}，评级{s['grade']}（{label(s['trend'])}）：按置信度加权综合{parts}，"
        f"覆盖{m['coverage'] * 100:.0f}%的输入权重，一致度{fmt(m['agreement'])}。",
    )
    scores = {a: m[f"{a}_score"] for a in inputs}
    top, bottom = max(scores, key=scores.get), min(scores, key=scores.get)
    if scores[top] > 0 > scores[bottom]:
        spread = both(
            f"The inputs pull apart: {top} {signed(scores[top])} against {bottom} {signed(scores[bottom])}.",
            f"输入分歧：{top} {signed(scores[top])}，{bottom} {signed(scores[bottom])}。",
        )
    else:
        spread = both("The inputs point the same way.", "各项输入方向一致。")
    momentum = None
    if "breakout_odds" in m and m["breakout_odds"] is not None:
        momentum = both(
            f"Breakout odds {fmt(m['breakout_odds'])} ({label(s['breakout_odds'])}).",
            f"突破概率{fmt(m['breakout_odds'])}（{label(s['breakout_odds'])}）。",
        )
    missing = None
    if s["failed"]:
        missing = both(f"Missing: {', '.join(s['failed'])} failed.", f"缺失：{'、'.join(s['failed'])}运行失败。")
    return join(first, spread, momentum, missing)


def systemic(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str]) -> str:
    first = both(
        f"Systemic-risk view {word(stance)}, crash risk {label(s['crash_risk'])}: 1-day VaR(95%) "
        f"{pct(m['var95_1d'], 2)} and a worst drawdown of {pct(m['max_drawdown_1y'])} over the last "
        f"{m['drawdown_days']:.0f} days.",
        f"系统性风险立场{word(stance)}，崩盘风险{label(s['crash_risk'])}：1日VaR(95%)为{pct(m['var95_1d'], 2)}，"
        f"近{m['drawdown_days']:.0f}个交易日最大回撤{pct(m['max_drawdown_1y'])}。",
    )
    market = None
    if m.get("beta_252d") is not None:
        market = both(
            f"The CSI 300's volatility regime is {label(s['vol_regime'])} ({pct(m['index_vol_20d'])} over 20 days); "
            f"beta {fmt(m['beta_252d'])} over {m['beta_days']:.0f} common days.",
            f"沪深300波动率处于{label(s['vol_regime'])}水平（20日{pct(m['index_vol_20d'])}）；"
            f"基于{m['beta_days']:.0f}个共同交易日的贝塔为{fmt(m['beta_252d'])}。",
        )
    else:
        market = both(
            f"Without CSI 300 data there is no beta; over its whole history the worst drawdown was "
            f"{pct(m['max_drawdown_full'])}.",
            f"无沪深300数据，无法计算贝塔；其全部历史中的最大回撤为{pct(m['max_drawdown_full'])}。",
        )
    return join(first, market)


def portfolio(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str]) -> str:
    days = f"{m['window_days']:.0f}"
    first = both(
        f"Portfolio-risk view {word(stance)}, risk {label(s['risk_level'])}: over the last {days} days the stock "
        f"returned {pct(m['return_window'], sign=True)} with {pct(m['ann_vol'])} annualised volatility, "
        f"Sharpe {fmt(m['sharpe_1y'])}.",
        f"组合风险立场{word(stance)}，风险{label(s['risk_level'])}："
        f"近{days}个交易日收益{pct(m['return_window'], sign=True)}，"
        f"年化波动率{pct(m['ann_vol'])}，夏普比率{fmt(m['sharpe_1y'])}。",
    )
    sizing = both(
        f"A volatility-targeted size is {fmt(m['position_pct'], 1)}% of the book; the ATR stop sits "
        f"{pct(m['stop_pct'], sign=True)} from the close.",
        f"按波动率目标的仓位为{fmt(m['position_pct'], 1)}%；ATR止损距收盘价{pct(m['stop_pct'], sign=True)}。",
    )
    return join(first, sizing)
