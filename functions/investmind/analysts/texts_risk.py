"""The risk directors' bodies and evidence, in English and Chinese (one ``wording.Text`` per sentence)."""

from __future__ import annotations

from .wording import Text

VOL_WORDS = {"high": "偏高", "low": "偏低", "normal": "正常"}
CRASH_WORDS = {"low": "低", "moderate": "中等", "elevated": "偏高"}

VOL_WINDOW = Text("of {days}", "近{days}中的")
NO_VOL_WINDOW = Text("no percentile: too little history", "历史过短、无百分位：")
BETA_WINDOW = Text("over {days} common days", "基于{days}个共同交易日")
NO_BETA_WINDOW = Text("no index data", "无指数数据")
INDEX_WINDOW = Text("over {days}", "近{days}")
SYSTEMIC_VOL = Text(
    "CSI 300 volatility regime **{regime}** (20-day {vol}, {rank} {vol_window}); beta {beta} and correlation {corr} "
    "to the index ({beta_window}).",
    "沪深300波动率水平**{regime}**（20日{vol}，{vol_window}{rank}）；相对指数的贝塔为{beta}，相关系数{corr}（{beta_window}）。",
)
SYSTEMIC_TAIL = Text(
    "1-day historical VaR(95%) {var} (10-day {var10}), CVaR(95%) {cvar}, over the last {var_days}; market stress loss "
    "(beta x the CSI 300's worst drawdown {index_window}, {index_drawdown}) {stress}; worst drawdown {drawdown} over "
    "the last {drawdown_days} and {drawdown_full} over all {bars} bars. Macro tilt {tilt}.",
    "近{var_days}的1日历史VaR(95%)为{var}（10日{var10}），CVaR(95%)为{cvar}；市场压力损失（贝塔×沪深300{index_window}"
    "最大回撤{index_drawdown}）为{stress}；近{drawdown_days}最大回撤{drawdown}，全部{bars}根K线最大回撤{drawdown_full}。"
    "宏观倾斜{tilt}。",
)
CRASH = Text("Crash risk **{crash}**.", "崩盘风险**{crash}**。")

EVIDENCE_REGIME = Text("index vol regime {regime}", "指数波动率水平{regime}")
EVIDENCE_BETA = Text("beta {beta}, correlation {corr} ({beta_window})", "贝塔{beta}，相关系数{corr}（{beta_window}）")
EVIDENCE_VAR = Text("VaR95 {var}, CVaR95 {cvar} (1-day)", "1日VaR95为{var}，CVaR95为{cvar}")
EVIDENCE_DRAWDOWN = Text(
    "max drawdown 1y {drawdown}, full {drawdown_full}", "近1年最大回撤{drawdown}，全部历史{drawdown_full}"
)
EVIDENCE_STRESS = Text("stress loss {stress} (beta x index worst drawdown)", "压力损失{stress}（贝塔×指数最大回撤）")

PORTFOLIO_RISK = Text(
    "Annualised volatility {vol} over the last {days} (risk **{level}**); return over those days {ret} (annualised "
    "arithmetic mean of daily returns {ann_return}, the Sharpe's numerator); Sharpe {sharpe} (rf {rf}); max drawdown "
    "{drawdown} over the same days, {drawdown_full} over all {bars} bars.",
    "近{days}年化波动率{vol}（风险**{level}**）；同期收益{ret}（日收益算术均值年化为{ann_return}，即夏普比率的分子）；"
    "夏普比率{sharpe}（无风险利率{rf}）；同期最大回撤{drawdown}，全部{bars}根K线最大回撤{drawdown_full}。",
)
PORTFOLIO_SIZE = Text(
    "Volatility-targeted size **{size}%** of the book ({target} target, capped at {cap}); ATR stop **{stop}** = close "
    "{close} - {k} x ATR(14) {atr} ({stop_pct}).",
    "按波动率目标的仓位**{size}%**（目标波动率{target}，上限{cap}）；ATR止损**{stop}** = 收盘价{close} - {k} × ATR(14) "
    "{atr}（{stop_pct}）。",
)

EVIDENCE_VOL = Text("annualised vol {vol} over {days} days", "近{days}个交易日年化波动率{vol}")
EVIDENCE_RETURN = Text("return {ret} over {days} days; Sharpe {sharpe}", "近{days}个交易日收益{ret}；夏普比率{sharpe}")
EVIDENCE_SIZE = Text("vol-target size {size}%", "波动率目标仓位{size}%")
EVIDENCE_STOP = Text("ATR stop {stop} ({stop_pct})", "ATR止损{stop}（{stop_pct}）")
