// English and Chinese for the console. The language comes from the toggle (kept in localStorage), else
// from the browser; elements carrying data-i18n="key" are re-labelled when it changes.

const STRINGS = {
  en: {
    brand_sub: "multi-agent stock analysis", nav_new: "New analysis", nav_history: "My analyses", nav_compare: "Compare",
    sign_in: "Sign in", signed_in: "Key set", sign_out: "Sign out", api_key: "API key", save: "Save", close: "Close",
    sign_in_help: "An API key (e.g. the one `make run` printed, INVESTMIND_API_KEY, or one from `investmind keys create`) is kept in this browser and sent as a Bearer token; it wins over an account sign-in.",
    sign_in_account: "Sign in with your account", sign_in_or_key: "Or use an API key:", signed_in_account: "Signed in",
    symbol: "Symbol", as_of: "As of", priority: "Priority", stage1: "Stage-1 analysts", analyse: "Analyse",
    latest: "latest", high: "high", normal: "normal", low: "low", all: "all", status: "Status", refresh: "Refresh",
    more: "More", created: "Created", duration: "Duration", decision: "Decision", progress: "Progress", none: "none",
    no_analyses: "No analyses yet.", conn_connecting: "connecting", conn_live: "live", conn_reconnecting: "reconnecting",
    conn_ended: "ended", conn_failed: "disconnected", cancel: "Cancel", export_md: "Markdown", export_pdf: "PDF",
    compare_with: "Compare…", waiting: "waiting", running: "running", succeeded: "succeeded", failed: "failed",
    skipped: "skipped", not_requested: "not requested", pending: "waiting", stage: "Stage", chart: "Price",
    log: "Log", action: "Action", rating: "Rating", position: "Position", entry: "Entry", stop: "Stop loss",
    target: "Take profit", horizon: "Horizon", confidence: "Confidence", rationale: "Rationale", dissent: "Dissent",
    degraded: "Degraded", degraded_by: "degraded: these agents failed", data: "Data", usage: "LLM usage",
    calls: "calls", tokens: "tokens in / out", cost: "cost", latency: "latency", source: "source", dates: "dates",
    rows: "rows", stale: "stale", missing: "missing", ok: "ok", narrative: "Narrative", evidence: "Evidence",
    metrics: "Metrics", signals: "Signals", provider: "Provider", error: "Error", stance: "Stance", score: "Score",
    bullish: "bullish", bearish: "bearish", neutral: "neutral", days: "days", elapsed: "elapsed",
    pick_two: "Pick two analyses of the same symbol.", what_changed: "What changed", agent: "Agent", change: "Change",
    same: "same", no_other: "No other analysis of this symbol yet.", open: "Open", fallback: "LLM fallback: the quant result stands",
    as_of_marker: "as of", support: "Support", resistance: "Resistance", report_title: "InvestMind analysis",
    generated: "Generated", task: "Task", failed_reason: "Failed", cancelled: "Cancelled", agents: "Agents",
    not_started: "waiting for data", of_stage: "of", usage_none: "no LLM calls (quant core)",
    no_trade: "no trade decision", from_close: "from the close",
  },
  zh: {
    brand_sub: "多智能体股票分析", nav_new: "新建分析", nav_history: "我的分析", nav_compare: "对比",
    sign_in: "登录", signed_in: "已设置密钥", sign_out: "退出", api_key: "API 密钥", save: "保存", close: "关闭",
    sign_in_help: "API 密钥（例如 `make run` 打印的 INVESTMIND_API_KEY，或 `investmind keys create` 创建的密钥）保存在本浏览器中，并以 Bearer 令牌发送；设置后优先于账户登录。",
    sign_in_account: "使用账户登录", sign_in_or_key: "或使用 API 密钥：", signed_in_account: "已登录",
    symbol: "代码", as_of: "分析日期", priority: "优先级", stage1: "第一阶段分析师", analyse: "开始分析",
    latest: "最新", high: "高", normal: "普通", low: "低", all: "全部", status: "状态", refresh: "刷新",
    more: "更多", created: "创建时间", duration: "耗时", decision: "决策", progress: "进度", none: "无",
    no_analyses: "还没有分析。", conn_connecting: "连接中", conn_live: "实时", conn_reconnecting: "重连中",
    conn_ended: "已结束", conn_failed: "已断开", cancel: "取消", export_md: "Markdown", export_pdf: "PDF",
    compare_with: "对比…", waiting: "等待", running: "运行中", succeeded: "完成", failed: "失败",
    skipped: "跳过", not_requested: "未选择", pending: "等待", stage: "阶段", chart: "价格",
    log: "日志", action: "操作", rating: "评级", position: "仓位", entry: "入场区间", stop: "止损",
    target: "止盈", horizon: "持有期", confidence: "置信度", rationale: "理由", dissent: "异议",
    degraded: "降级", degraded_by: "降级：以下智能体失败", data: "数据来源", usage: "LLM 用量",
    calls: "调用", tokens: "输入 / 输出 token", cost: "费用", latency: "延迟", source: "来源", dates: "日期",
    rows: "行数", stale: "过期", missing: "缺失", ok: "正常", narrative: "分析", evidence: "依据",
    metrics: "指标", signals: "信号", provider: "提供方", error: "错误", stance: "立场", score: "评分",
    bullish: "看多", bearish: "看空", neutral: "中性", days: "天", elapsed: "已用时",
    pick_two: "选择同一代码的两次分析。", what_changed: "变化", agent: "智能体", change: "变化",
    same: "相同", no_other: "该代码暂无其他分析。", open: "打开", fallback: "LLM 回退：采用量化结果",
    as_of_marker: "分析日", support: "支撑", resistance: "阻力", report_title: "InvestMind 分析报告",
    generated: "生成时间", task: "任务", failed_reason: "失败", cancelled: "已取消", agents: "智能体",
    not_started: "等待数据", of_stage: "/", usage_none: "无 LLM 调用（量化核心）",
    no_trade: "无交易决策", from_close: "相对收盘价",
  },
};

const STAGE_NAMES = {
  en: { 1: "Analysts", 2: "Directors", 3: "Risk", 4: "Decision" },
  zh: { 1: "分析师", 2: "研究总监", 3: "风险", 4: "投资决策" },
};
const AGENT_NAMES_ZH = {
  macro: "宏观分析师", industry: "行业分析师", technical: "技术分析师", funds: "资金面分析师", fundamental: "基本面分析师",
  fundamental_director: "基本面研究总监", momentum_director: "市场动能总监", systemic_risk_director: "系统性风险总监",
  portfolio_risk_director: "组合风险总监", investment_gm: "投资决策经理",
};

const STORE_KEY = "investmind.lang";
let current = pickLanguage();
const listeners = new Set();

function pickLanguage() {
  const stored = globalThis.localStorage?.getItem(STORE_KEY);
  if (stored === "en" || stored === "zh") return stored;
  return (globalThis.navigator?.language ?? "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export const lang = () => current;

/** The text of ``key`` in the current language (the key itself when neither language has it). */
export function t(key) {
  return STRINGS[current][key] ?? STRINGS.en[key] ?? key;
}

export const stageName = (stage, fallback) => STAGE_NAMES[current][stage] ?? fallback;
export const agentName = (agentId, title) => (current === "zh" ? AGENT_NAMES_ZH[agentId] ?? title : title);

export function setLanguage(next) {
  current = next === "zh" ? "zh" : "en";
  globalThis.localStorage?.setItem(STORE_KEY, current);
  applyStatic(document);
  for (const listener of listeners) listener(current);
}

export const onLanguage = (listener) => listeners.add(listener);

/** Re-label every ``[data-i18n]`` element (text) and ``[data-i18n-title]`` (tooltip) under ``root``. */
export function applyStatic(root) {
  root.documentElement && (root.documentElement.lang = current === "zh" ? "zh-CN" : "en");
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-title]")) node.title = t(node.dataset.i18nTitle);
}
