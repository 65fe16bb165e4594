// What each analyst metric is: its unit and its name in English and Chinese. The analysts report plain
// numbers (`AgentResult.metrics`); this glossary says how to read them. A metric missing here is shown
// under its own key, unformatted, rather than guessed at.

/** @typedef {"price"|"frac"|"pct"|"pctile"|"x"|"score"|"conf"|"days"|"years"|"count"|"points"|"ratio"|"atr"} Unit */

/** @type {Record<string, [Unit, string, string]>} name → [unit, English, 中文] */
const GLOSSARY = {
  close: ["price", "Close", "收盘价"], atr: ["price", "ATR(14)", "ATR(14)"], atr14: ["price", "ATR(14)", "ATR(14)"],
  atr_pct: ["frac", "ATR / close", "ATR/收盘价"], adx14: ["ratio", "ADX(14)", "ADX(14)"],
  sma20: ["price", "SMA 20", "20日均线"], sma60: ["price", "SMA 60", "60日均线"], sma120: ["price", "SMA 120", "120日均线"],
  sma60_slope_10d: ["frac", "SMA 60 slope, 10 days", "60日均线10日斜率"], gap_sma60: ["frac", "Close vs SMA 60", "收盘价相对60日均线"],
  macd: ["price", "MACD", "MACD"], macd_signal: ["price", "MACD signal", "MACD信号线"],
  macd_hist: ["price", "MACD histogram", "MACD柱"], macd_hist_prev: ["price", "MACD histogram, previous", "前一日MACD柱"],
  rsi14: ["ratio", "RSI(14)", "RSI(14)"], bb_pctb: ["ratio", "Bollinger %b", "布林带%b"],
  support: ["price", "Support", "支撑位"], resistance: ["price", "Resistance", "阻力位"],
  swing_low: ["price", "Swing low", "波段低点"], swing_high: ["price", "Swing high", "波段高点"],
  range_low_20: ["price", "20-day low", "20日最低"], range_high_20: ["price", "20-day high", "20日最高"],
  buy_low: ["price", "Buy range low", "买入区间下沿"], buy_high: ["price", "Buy range high", "买入区间上沿"],
  sell_low: ["price", "Sell range low", "卖出区间下沿"], sell_high: ["price", "Sell range high", "卖出区间上沿"],
  stop_loss: ["price", "Stop loss", "止损价"], take_profit: ["price", "Take profit", "止盈价"],
  entry_low: ["price", "Entry low", "入场下沿"], entry_high: ["price", "Entry high", "入场上沿"],
  stop_pct: ["frac", "Stop distance", "止损幅度"],
  volume_ratio_5_20: ["x", "Volume 5d / 20d", "5日/20日量比"], turnover_5d: ["pct", "Turnover, 5 days", "5日换手率"],
  turnover_60d: ["pct", "Turnover, 60 days", "60日换手率"], turnover_ratio: ["x", "Turnover 5d / 60d", "换手率比"],
  obv_slope_20d: ["ratio", "OBV slope, 20 days (ADV/day)", "OBV 20日斜率(日均量/日)"],
  ad_slope_20d: ["ratio", "A/D slope, 20 days (ADV/day)", "A/D 20日斜率(日均量/日)"],
  mfi14: ["ratio", "MFI(14)", "MFI(14)"], up_down_volume: ["x", "Up / down-day volume", "涨跌日成交量比"],
  ret_5: ["frac", "Return, 5 days", "5日收益"], ret_20: ["frac", "Return, 20 days", "20日收益"],
  ret_60: ["frac", "Return, 60 days", "60日收益"], ret_120: ["frac", "Return, 120 days", "120日收益"],
  strength_5d: ["ratio", "5-day move (σ)", "5日涨幅(标准差)"],
  index_close: ["points", "CSI 300", "沪深300"], ma200: ["points", "CSI 300 200-day average", "沪深300 200日均线"],
  trend_gap_200: ["frac", "CSI 300 vs 200-day average", "沪深300相对200日均线"], vol_20: ["frac", "Volatility, 20 days", "20日波动率"],
  vol_pct: ["pctile", "Volatility percentile, 3 years", "波动率三年分位"], drawdown_1y: ["frac", "Drawdown from 1-year high", "距一年高点回撤"],
  breadth_60: ["frac", "Breadth above 60-day average", "60日均线上方占比"], breadth_n: ["count", "Breadth universe", "样本股票数"],
  n_peers: ["count", "Peers", "同业数"], peer_rank_60: ["count", "60-day peer rank", "60日同业排名"],
  index_ret_20: ["frac", "CSI 300, 20 days", "沪深300 20日"], index_ret_60: ["frac", "CSI 300, 60 days", "沪深300 60日"],
  index_ret_120: ["frac", "CSI 300, 120 days", "沪深300 120日"], peer_ret_20: ["frac", "Peers, 20 days", "同业 20日"],
  peer_ret_60: ["frac", "Peers, 60 days", "同业 60日"], peer_ret_120: ["frac", "Peers, 120 days", "同业 120日"],
  rs_index_20: ["frac", "vs CSI 300, 20 days", "相对沪深300 20日"], rs_index_60: ["frac", "vs CSI 300, 60 days", "相对沪深300 60日"],
  rs_index_120: ["frac", "vs CSI 300, 120 days", "相对沪深300 120日"], rs_peers_20: ["frac", "vs peers, 20 days", "相对同业 20日"],
  rs_peers_60: ["frac", "vs peers, 60 days", "相对同业 60日"], rs_peers_120: ["frac", "vs peers, 120 days", "相对同业 120日"],
  pe_ttm: ["x", "PE (TTM)", "市盈率(TTM)"], pb_mrq: ["x", "PB (MRQ)", "市净率"], ps_ttm: ["x", "PS (TTM)", "市销率(TTM)"],
  pcf_ttm: ["x", "PCF (TTM)", "市现率(TTM)"], pe_ttm_pct: ["pctile", "PE percentile", "市盈率分位"],
  pb_mrq_pct: ["pctile", "PB percentile", "市净率分位"], ps_ttm_pct: ["pctile", "PS percentile", "市销率分位"],
  pcf_ttm_pct: ["pctile", "PCF percentile", "市现率分位"], valuation_pct: ["pctile", "Valuation percentile", "估值分位"],
  valuation_history_years: ["years", "Valuation history", "估值历史"], valuation_age_days: ["days", "Valuation age", "估值数据滞后"],
  roe_ttm: ["frac", "ROE (PB/PE)", "ROE(PB/PE)"], roe_reported_annualised: ["frac", "ROE reported, annualised", "报告ROE(年化)"],
  earnings_yield: ["frac", "Earnings yield", "盈利收益率"], debt_asset_ratio: ["frac", "Debt / assets", "资产负债率"],
  gross_margin: ["frac", "Gross margin", "毛利率"], net_margin: ["frac", "Net margin", "净利率"], npl_ratio: ["frac", "NPL ratio", "不良贷款率"],
  revenue_growth_yoy: ["frac", "Revenue growth YoY", "营收同比"], profit_growth_yoy: ["frac", "Profit growth YoY", "利润同比"],
  coverage: ["frac", "Coverage", "覆盖率"], agreement: ["frac", "Agreement", "一致度"], breakout_odds: ["frac", "Breakout odds", "突破概率"],
  var95_1d: ["frac", "VaR 95%, 1 day", "VaR 95% 1日"], var95_10d: ["frac", "VaR 95%, 10 days", "VaR 95% 10日"],
  cvar95_1d: ["frac", "CVaR 95%, 1 day", "CVaR 95% 1日"], max_drawdown_1y: ["frac", "Max drawdown, 1 year", "一年最大回撤"],
  max_drawdown_full: ["frac", "Max drawdown, all bars", "全区间最大回撤"], index_vol_20d: ["frac", "CSI 300 volatility, 20 days", "沪深300 20日波动率"],
  index_vol_pct: ["pctile", "CSI 300 volatility percentile", "沪深300波动率分位"], beta_252d: ["ratio", "Beta, 252 days", "贝塔(252日)"],
  corr_252d: ["ratio", "Correlation, 252 days", "相关系数(252日)"], index_max_drawdown_3y: ["frac", "CSI 300 worst drawdown, 3 years", "沪深300三年最大回撤"],
  stress_loss: ["frac", "Stress loss", "压力损失"], ann_vol: ["frac", "Annualised volatility", "年化波动率"],
  ann_return: ["frac", "Annualised return", "年化收益"], sharpe_1y: ["ratio", "Sharpe, 1 year", "夏普比率(1年)"],
  buy_low_pct: ["frac", "Buy range low vs close", "买入下沿相对收盘"], buy_high_pct: ["frac", "Buy range high vs close", "买入上沿相对收盘"],
  sell_low_pct: ["frac", "Sell range low vs close", "卖出下沿相对收盘"], sell_high_pct: ["frac", "Sell range high vs close", "卖出上沿相对收盘"],
  support_pct: ["frac", "Support vs close", "支撑相对收盘"], resistance_pct: ["frac", "Resistance vs close", "阻力相对收盘"],
  stop_loss_pct: ["frac", "Stop vs close", "止损相对收盘"], take_profit_pct: ["frac", "Target vs close", "止盈相对收盘"],
  traded_prices: ["count", "Traded prices (1 = yes)", "成交价(1=是)"], rs_index: ["frac", "vs CSI 300, weighted", "相对沪深300(加权)"],
  rs_peers: ["frac", "vs peers, weighted", "相对同业(加权)"], return_window: ["frac", "Return over the window", "区间收益"],
  window_days: ["days", "Window", "窗口"], vol_days: ["days", "Volatility history", "波动率历史"], beta_days: ["days", "Beta window", "贝塔窗口"],
  var_days: ["days", "VaR window", "VaR窗口"], drawdown_days: ["days", "Drawdown window", "回撤窗口"],
  index_vol_days: ["days", "CSI 300 volatility history", "沪深300波动率历史"], index_drawdown_days: ["days", "CSI 300 drawdown window", "沪深300回撤窗口"],
  bars: ["count", "Bars", "K线数"], expected: ["count", "Agents expected", "应到智能体"], succeeded: ["count", "Agents succeeded", "成功智能体"],
  cpi_yoy: ["pct", "CPI YoY", "CPI同比"], ppi_yoy: ["pct", "PPI YoY", "PPI同比"], m1_yoy: ["pct", "M1 YoY", "M1同比"], m2_yoy: ["pct", "M2 YoY", "M2同比"],
  m1_m2_gap: ["pct", "M1 − M2", "M1-M2剪刀差"], m2_change_6m: ["pct", "M2 YoY, 6-month change", "M2同比6个月变化"],
  credit_growth: ["frac", "Credit growth", "信贷增速"], credit_change_6m: ["pct", "Credit growth, 6-month change", "信贷增速6个月变化"],
  credit_from_tsf: ["count", "Credit from social financing (1 = yes)", "信贷取自社融(1=是)"],
  pmi_mfg: ["points", "PMI manufacturing", "制造业PMI"], pmi_mfg_3m: ["points", "PMI manufacturing, 3 months", "制造业PMI(3个月)"],
  pmi_nonmfg: ["points", "PMI non-manufacturing", "非制造业PMI"], shibor_3m: ["pct", "Shibor 3M", "3个月Shibor"],
  shibor_3m_change_6m: ["pct", "Shibor 3M, 6-month change", "3个月Shibor 6个月变化"],
  vote_credit: ["score", "Credit vote", "信贷投票"], vote_money: ["score", "Money vote", "货币投票"],
  position_pct: ["pct", "Position", "仓位"], base_position_pct: ["pct", "Base position", "基础仓位"], horizon_days: ["days", "Horizon", "持有期"],
};

const UNIT_SUFFIX = { en: { days: " d", years: " y", x: "×" }, zh: { days: " 天", years: " 年", x: "×" } };

/** The glossary entry of ``name``, deriving the directors' per-input ``<agent>_score`` / ``_confidence``. */
export function describeMetric(name, lang = "en") {
  let entry = GLOSSARY[name];
  if (!entry && name.endsWith("_score")) entry = ["score", `${name.slice(0, -6)} score`, `${name.slice(0, -6)} 评分`];
  if (!entry && name.endsWith("_confidence")) entry = ["conf", `${name.slice(0, -11)} confidence`, `${name.slice(0, -11)} 置信度`];
  if (!entry) return { unit: null, label: name, known: false };
  return { unit: entry[0], label: lang === "zh" ? entry[2] : entry[1], known: true };
}

/** ``value`` in ``unit`` as text; null and non-finite values are "–" (missing, never a made-up 0). */
export function formatMetric(value, unit, lang = "en") {
  if (value === null || value === undefined || !Number.isFinite(value)) return "–";
  const suffix = UNIT_SUFFIX[lang] ?? UNIT_SUFFIX.en;
  const fixed = (digits) => value.toLocaleString(lang === "zh" ? "zh-CN" : "en-US", {
    minimumFractionDigits: digits, maximumFractionDigits: digits,
  });
  switch (unit) {
    case "frac": return `${(value * 100).toFixed(2)}%`;
    case "pct": return `${value.toFixed(2)}%`;
    case "pctile": return `P${value.toFixed(0)}`;
    case "x": return `${value.toFixed(2)}${suffix.x}`;
    case "score": return `${value >= 0 ? "+" : ""}${value.toFixed(1)}`;
    case "conf": return value.toFixed(2);
    case "days": return `${value.toFixed(0)}${suffix.days}`;
    case "years": return `${value.toFixed(1)}${suffix.years}`;
    case "count": return value.toFixed(0);
    case "price": case "points": return fixed(2);
    default: return fixed(Math.abs(value) >= 100 ? 1 : Math.abs(value) >= 1 ? 2 : 4);
  }
}

export const METRIC_NAMES = Object.freeze(Object.keys(GLOSSARY));
