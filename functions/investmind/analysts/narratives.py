"""Each role's narrative without an LLM: two to four sentences from its own computed figures, in English or Chinese.

Every number a narrative cites is one of the result's metrics (or its score) in the same formatting
as the body; the stance word appears once and no other stance word appears at all (sub-labels that
share a stance word, such as a "neutral" liquidity reading, are written as "balanced" / 平稳), so the
text can never contradict the fields. Each sentence is one ``wording.Text`` holding both languages;
the language is ``INVESTMIND_LLM_LANGUAGE`` (en | zh).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..models import Stance
from .common import fmt, ordinal, pct, signed
from .texts_risk import CRASH_WORDS
from .texts_technical import STRENGTH_WORDS
from .wording import LANGUAGE, LANGUAGES, STANCE_WORD, Text, join, label, language, listing, term, word

__all__ = ["LANGUAGE", "LANGUAGES", "STANCE_WORD", "join", "label", "language", "word"]

MACRO_INDEX = Text(
    "Macro view {stance}: the CSI 300 stands {gap} against its 200-day average and moved {ret} over 60 days "
    "({regime} regime).",
    "宏观立场{stance}：沪深300较200日均线{gap}，60日涨跌{ret}（{regime}格局）。",
)
MACRO_NO_INDEX = Text("Macro view {stance}, without CSI 300 data.", "宏观立场{stance}（无沪深300数据）。")
MACRO_MONEY = Text(
    "Liquidity is {liquidity}: M2 growth {m2}% ({m2_change} points in six months), credit growth {credit}% "
    "({credit_change} points).",
    "流动性{liquidity}：M2同比{m2}%（六个月变动{m2_change}个百分点），信用增速{credit}%（变动{credit_change}个百分点）。",
)
MACRO_ACTIVITY = Text(
    "The manufacturing PMI averages {pmi} over three months ({growth}); CPI {cpi}%, PPI {ppi}% ({inflation}).",
    "制造业PMI近三个月均值{pmi}（{growth}）；CPI同比{cpi}%，PPI同比{ppi}%（{inflation}）。",
)
MACRO_BREADTH = Text(
    "Breadth: {share} of {n} stocks close above their 60-day average.", "市场宽度：{n}只股票中{share}收于60日均线之上。"
)


def macro(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str]) -> str:
    if m.get("index_close") is not None:
        gap, ret = pct(m["trend_gap_200"], sign=True), pct(m["ret_60"], sign=True)
        index = MACRO_INDEX(stance=word(stance), gap=gap, ret=ret, regime=label(s["regime"]))
    else:
        index = MACRO_NO_INDEX(stance=word(stance))
    money = None
    if s["liquidity"] != "n/a":
        money = MACRO_MONEY(
            liquidity=label(s["liquidity"]), m2=fmt(m["m2_yoy"], 1), m2_change=signed(m["m2_change_6m"] or 0.0, 1),
            credit=fmt(m["credit_growth"], 1), credit_change=signed(m["credit_change_6m"] or 0.0, 1),
        )  # fmt: skip
    activity = None
    if s["growth"] != "n/a":
        activity = MACRO_ACTIVITY(
            pmi=fmt(m["pmi_mfg_3m"], 1), growth=label(s["growth"]), cpi=fmt(m["cpi_yoy"], 1),
            ppi=fmt(m["ppi_yoy"], 1), inflation=label(s["inflation"]),
        )  # fmt: skip
    breadth = None
    if m.get("breadth_60") is not None:
        breadth = MACRO_BREADTH(share=pct(m["breadth_60"], 0), n=f"{m['breadth_n']:.0f}")
    return join(index, money, activity, breadth)


INDUSTRY_OWN = Text(
    "Industry view {stance}: over 60 days the stock returned {ret}", "行业立场{stance}：近60日个股涨跌{ret}"
)
INDUSTRY_INDEX = Text(", the CSI 300 {ret}", "，沪深300为{ret}")
INDUSTRY_PEERS = Text(
    " and the median of {n} peers on the {board} board {ret}.", "，{board}板块{n}只同业中位数为{ret}。"
)
INDUSTRY_NO_PEERS = Text(
    "; no other stock of the {board} board is in the market data.", "；市场数据中没有{board}板块的其他股票。"
)
INDUSTRY_RS_INDEX = Text("{rs} against the index ({reading})", "相对指数{rs}（{reading}）")
INDUSTRY_RS_PEERS = Text("{rs} against peers ({reading})", "相对同业{rs}（{reading}）")
INDUSTRY_STRENGTH = Text("Weighted relative strength: {parts}.", "加权相对强度：{parts}。")
AND = Text(" and ", "，")


def industry(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str]) -> str:
    own = INDUSTRY_OWN(stance=word(stance), ret=pct(m["ret_60"], sign=True))
    index = INDUSTRY_INDEX(ret=pct(m["index_ret_60"], sign=True)) if m.get("index_ret_60") is not None else None
    if m["n_peers"]:
        peers = INDUSTRY_PEERS(n=f"{m['n_peers']:.0f}", board=s["industry"], ret=pct(m["peer_ret_60"], sign=True))
    else:
        peers = INDUSTRY_NO_PEERS(board=s["industry"])
    rs = []
    if m.get("rs_index") is not None:
        rs.append(INDUSTRY_RS_INDEX(rs=pct(m["rs_index"], sign=True), reading=label(s["rs_vs_index"])))
    if m.get("rs_peers") is not None:
        rs.append(INDUSTRY_RS_PEERS(rs=pct(m["rs_peers"], sign=True), reading=label(s["rs_vs_peers"])))
    strength = INDUSTRY_STRENGTH(parts=AND().join(rs))
    return join("".join(x for x in (own, index, peers) if x), strength)


TECHNICAL_TREND = Text(
    "Technical view {stance}: the trend is {trend} (ADX {adx}, {strength}), the close {gap} against its 60-day "
    "average and the MACD histogram {hist} ({macd}).",
    "技术立场{stance}：趋势{trend}（ADX {adx}，{strength}），收盘价较60日均线{gap}，MACD柱{hist}（{macd}）。",
)
TECHNICAL_RSI = Text("RSI(14) is {rsi} ({zone}).", "RSI(14)为{rsi}（{zone}）。")
TECHNICAL_LEVELS = Text(
    "Support {support} and resistance {resistance}, against a close of {close}.",
    "支撑位{support}，阻力位{resistance}，收盘价{close}。",
)
TECHNICAL_RELATIVE_LEVELS = Text(
    "Only adjusted prices exist here, so levels are relative to the close: support {support}, resistance {resistance}.",
    "此处仅有复权价格，价位以相对收盘价表示：支撑{support}，阻力{resistance}。",
)


def technical(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str], traded: bool) -> str:
    hist = "n/a" if m["macd_hist"] is None else "positive" if m["macd_hist"] > 0 else "negative"
    first = TECHNICAL_TREND(
        stance=word(stance), trend=label(s["trend"]), adx=fmt(m["adx14"], 1),
        strength=term(s["trend_strength"], STRENGTH_WORDS),
        gap=pct(m["gap_sma60"], sign=True), hist=label(hist), macd=fmt(m["macd_hist"]),
    )  # fmt: skip
    zone = "mid-range" if s["rsi_zone"] == "neutral" else s["rsi_zone"]
    momentum = TECHNICAL_RSI(rsi=fmt(m["rsi14"], 1), zone=label(zone))
    if traded:
        levels = TECHNICAL_LEVELS(support=fmt(m["support"]), resistance=fmt(m["resistance"]), close=fmt(m["close"]))
    else:
        levels = TECHNICAL_RELATIVE_LEVELS(
            support=pct(m["support_pct"], sign=True), resistance=pct(m["resistance_pct"], sign=True)
        )
    return join(first, momentum, levels)


FUNDS_FLOW = Text(
    "Capital-flow view {stance}, intent {intent}: over 20 days the OBV slope is {obv} and the A/D slope {ad} "
    "average daily volumes per day, MFI(14) {mfi}.",
    "资金面立场{stance}，意图{intent}：20日OBV斜率{obv}、A/D斜率{ad}（单位：日均成交量/日），MFI(14)为{mfi}。",
)
FUNDS_VOLUME = Text(
    "Volume over 5 days runs x{ratio} its 20-day average while the price moved {ret}, {strength} standard "
    "deviations of its recent noise.",
    "近5日成交量为20日均量的{ratio}倍，同期价格{ret}，相当于近期波动的{strength}个标准差。",
)
FUNDS_TURNOVER = Text("Turnover {t5}% over 5 days against {t60}% over 60.", "5日换手率{t5}%，60日为{t60}%。")


def funds(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str]) -> str:
    first = FUNDS_FLOW(
        stance=word(stance), intent=label(s["intent"]), obv=fmt(m["obv_slope_20d"]), ad=fmt(m["ad_slope_20d"]),
        mfi=fmt(m["mfi14"], 1),
    )  # fmt: skip
    second = FUNDS_VOLUME(
        ratio=fmt(m["volume_ratio_5_20"]), ret=pct(m["ret_5"], sign=True), strength=fmt(m["strength_5d"])
    )
    turnover = None
    if m.get("turnover_ratio") is not None:
        turnover = FUNDS_TURNOVER(t5=fmt(m["turnover_5d"]), t60=fmt(m["turnover_60d"]))
    return join(first, second, turnover)


FUNDAMENTAL_VALUE = Text(
    "Fundamental view {stance}: valuation {valuation}, PE {pe}, PB {pb} and PS {ps} at a mean {rank} of their own "
    "last {years} years.",
    "基本面立场{stance}：估值{valuation}，市盈率{pe}、市净率{pb}、市销率{ps}，处于自身近{years}年历史的{rank}（均值）。",
)
PERCENTILE = Text("{ordinal}", "第{n}百分位")
"""``63rd percentile`` / ``第63百分位``: the only template whose languages spell a value differently."""
FUNDAMENTAL_NO_VALUE = Text(
    "Fundamental view {stance}, without a valuation history to rank against.",
    "基本面立场{stance}（无可比较的估值历史）。",
)
FUNDAMENTAL_QUALITY = Text("Quality {quality} (ROE {roe}).", "质量{quality}（ROE {roe}）。")
FUNDAMENTAL_GROWTH = Text("Growth {growth}: net profit {change} year on year.", "成长{growth}：净利润同比{change}。")


def fundamental(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str]) -> str:
    if m.get("valuation_pct") is not None:
        value = FUNDAMENTAL_VALUE(
            stance=word(stance), valuation=label(s["valuation"]), pe=fmt(m["pe_ttm"]), pb=fmt(m["pb_mrq"]),
            ps=fmt(m["ps_ttm"]), rank=PERCENTILE(ordinal=ordinal(m["valuation_pct"]), n=f"{m['valuation_pct']:.0f}"),
            years=fmt(m["valuation_history_years"], 1),
        )  # fmt: skip
    else:
        value = FUNDAMENTAL_NO_VALUE(stance=word(stance))
    roe = m.get("roe_ttm") if m.get("roe_ttm") is not None else m.get("roe_reported_annualised")
    quality = FUNDAMENTAL_QUALITY(quality=label(s["quality"]), roe=pct(roe)) if roe is not None else None
    growth = None
    if m.get("profit_growth_yoy") is not None:
        growth = FUNDAMENTAL_GROWTH(growth=label(s["growth"]), change=pct(m["profit_growth_yoy"], sign=True))
    return join(value, quality, growth)


DIRECTOR_BLEND = Text(
    "{title} view {stance}, grade {grade} ({trend}): a confidence-weighted blend of {parts}, covering {coverage}% "
    "of the input weight with agreement {agreement}.",
    "{title}立场{stance}，评级{grade}（{trend}）：按置信度加权综合{parts}，覆盖{coverage}%的输入权重，一致度{agreement}。",
)
DIRECTOR_SPREAD = Text(
    "The inputs pull apart: {top} {top_score} against {bottom} {bottom_score}.",
    "输入分歧：{top} {top_score}，{bottom} {bottom_score}。",
)
DIRECTOR_SAME_WAY = Text("The inputs point the same way.", "各项输入方向一致。")
DIRECTOR_BREAKOUT = Text("Breakout odds {odds} ({reading}).", "突破概率{odds}（{reading}）。")
MISSING = Text("Missing: {agents} failed.", "缺失：{agents}运行失败。")


def director(title: tuple[str, str], stance: Stance, m: Mapping[str, Any], s: Mapping[str, Any]) -> str:
    inputs = list(s["inputs"])
    first = DIRECTOR_BLEND(
        title=Text(*title)(), stance=word(stance), grade=s["grade"], trend=label(s["trend"]),
        parts=listing(f"{a} {signed(m[f'{a}_score'])}" for a in inputs), coverage=f"{m['coverage'] * 100:.0f}",
        agreement=fmt(m["agreement"]),
    )  # fmt: skip
    scores = {a: m[f"{a}_score"] for a in inputs}
    top, bottom = max(scores, key=scores.get), min(scores, key=scores.get)
    if scores[top] > 0 > scores[bottom]:
        spread = DIRECTOR_SPREAD(
            top=top, top_score=signed(scores[top]), bottom=bottom, bottom_score=signed(scores[bottom])
        )
    else:
        spread = DIRECTOR_SAME_WAY()
    momentum = None
    if "breakout_odds" in m and m["breakout_odds"] is not None:
        momentum = DIRECTOR_BREAKOUT(odds=fmt(m["breakout_odds"]), reading=label(s["breakout_odds"]))
    missing = MISSING(agents=listing(s["failed"])) if s["failed"] else None
    return join(first, spread, momentum, missing)


SYSTEMIC_RISK = Text(
    "Systemic-risk view {stance}, crash risk {crash}: 1-day VaR(95%) {var} and a worst drawdown of {drawdown} over "
    "the last {days} days.",
    "系统性风险立场{stance}，崩盘风险{crash}：1日VaR(95%)为{var}，近{days}个交易日最大回撤{drawdown}。",
)
SYSTEMIC_MARKET = Text(
    "The CSI 300's volatility regime is {regime} ({vol} over 20 days); beta {beta} over {days} common days.",
    "沪深300波动率处于{regime}水平（20日{vol}）；基于{days}个共同交易日的贝塔为{beta}。",
)
SYSTEMIC_NO_INDEX = Text(
    "Without CSI 300 data there is no beta; over its whole history the worst drawdown was {drawdown}.",
    "无沪深300数据，无法计算贝塔；其全部历史中的最大回撤为{drawdown}。",
)


def systemic(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str]) -> str:
    first = SYSTEMIC_RISK(
        stance=word(stance), crash=term(s["crash_risk"], CRASH_WORDS), var=pct(m["var95_1d"], 2),
        drawdown=pct(m["max_drawdown_1y"]), days=f"{m['drawdown_days']:.0f}",
    )  # fmt: skip
    if m.get("beta_252d") is not None:
        market = SYSTEMIC_MARKET(
            regime=label(s["vol_regime"]), vol=pct(m["index_vol_20d"]), beta=fmt(m["beta_252d"]),
            days=f"{m['beta_days']:.0f}",
        )  # fmt: skip
    else:
        market = SYSTEMIC_NO_INDEX(drawdown=pct(m["max_drawdown_full"]))
    return join(first, market)


PORTFOLIO_RISK = Text(
    "Portfolio-risk view {stance}, risk {risk}: over the last {days} days the stock returned {ret} with {vol} "
    "annualised volatility, Sharpe {sharpe}.",
    "组合风险立场{stance}，风险{risk}：近{days}个交易日收益{ret}，年化波动率{vol}，夏普比率{sharpe}。",
)
PORTFOLIO_SIZE = Text(
    "A volatility-targeted size is {size}% of the book; the ATR stop sits {stop} from the close.",
    "按波动率目标的仓位为{size}%；ATR止损距收盘价{stop}。",
)


def portfolio(stance: Stance, m: Mapping[str, Any], s: Mapping[str, str]) -> str:
    first = PORTFOLIO_RISK(
        stance=word(stance), risk=label(s["risk_level"]), days=f"{m['window_days']:.0f}",
        ret=pct(m["return_window"], sign=True), vol=pct(m["ann_vol"]), sharpe=fmt(m["sharpe_1y"]),
    )  # fmt: skip
    sizing = PORTFOLIO_SIZE(size=fmt(m["position_pct"], 1), stop=pct(m["stop_pct"], sign=True))
    return join(first, sizing)
