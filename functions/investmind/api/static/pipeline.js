// The pipeline view: the four stages as columns of agent cards, and the drawer with one agent's full view.

import { $, el, fmtDuration, fmtScore, markdown } from "./dom.js";
import { agentName, lang, stageName, t } from "./i18n.js";
import { describeMetric, formatMetric } from "./metrics.js";
import { elapsedSeconds } from "./analysisState.js";

/** The two or three figures a card shows once its agent has succeeded. */
export const HEADLINE = {
  macro: ["trend_gap_200", "vol_pct", "breadth_60"], industry: ["rs_index_60", "ret_60", "peer_rank_60"],
  technical: ["rsi14", "support", "resistance"], funds: ["volume_ratio_5_20", "mfi14", "turnover_ratio"],
  fundamental: ["pe_ttm", "pb_mrq", "valuation_pct"], fundamental_director: ["agreement", "coverage"],
  momentum_director: ["breakout_odds", "agreement"], systemic_risk_director: ["var95_1d", "beta_252d", "stress_loss"],
  portfolio_risk_director: ["ann_vol", "sharpe_1y", "position_pct"], investment_gm: ["position_pct", "stop_loss", "take_profit"],
};

export function metricText(name, value) {
  const { unit, label } = describeMetric(name, lang());
  return { label, text: formatMetric(value, unit, lang()) };
}

function stateText(card, now) {
  if (card.state === "running") return `${t("running")} ${fmtDuration(elapsedSeconds(card.startedAt, null, now))}`;
  if (card.state === "succeeded" || card.state === "failed") {
    const took = elapsedSeconds(card.startedAt, card.endedAt);
    const mark = card.state === "succeeded" ? "✓" : `✕ ${t("failed")}`;
    return took === null ? mark : `${mark} ${fmtDuration(took)}`;
  }
  return t(card.state === "pending" ? "waiting" : card.state);
}

function cardBody(card, now) {
  const parts = [el("div", { className: "top" }, el("span", { className: "name", textContent: agentName(card.agentId, card.title) }),
    el("span", { className: "state", textContent: stateText(card, now) }))];
  const result = card.result;
  if (card.state === "succeeded" && result) {
    parts.push(el("div", { className: "line" },
      el("b", { className: result.stance, textContent: t(result.stance) }),
      el("span", { className: "num", textContent: fmtScore(result.score) }),
      el("span", { className: "muted", textContent: `${t("confidence")} ${result.confidence.toFixed(2)}` }),
      result.provider && result.provider !== "quant" ? el("span", { className: "chip", textContent: result.provider }) : null));
    const figures = (HEADLINE[card.agentId] ?? []).filter((name) => name in (result.metrics ?? {})).map((name) => {
      const { label, text } = metricText(name, result.metrics[name]);
      return el("span", {}, `${label} `, el("b", { textContent: text }));
    });
    if (figures.length) parts.push(el("div", { className: "figs" }, figures));
  }
  if (card.state === "failed") parts.push(el("div", { className: "reason", textContent: card.error ?? t("failed") }));
  return parts;
}

/** (Re)build the stage columns for ``state``; cards open the drawer through ``onOpen(agentId)``. */
export function renderPipeline(state, onOpen, now = Date.now()) {
  const columns = Object.values(state.stages).map((stage) => {
    const cards = Object.values(state.agents).filter((card) => card.stage === stage.stage);
    const done = cards.filter((card) => ["succeeded", "failed", "skipped"].includes(card.state)).length;
    const counted = cards.filter((card) => card.state !== "not_requested").length;
    const head = el("div", { className: "stage-head" },
      el("b", { textContent: `${stage.stage} · ${stageName(stage.stage, stage.name)}` }),
      el("span", { className: `state-${stage.state}`, textContent: `${done}/${counted}` }));
    const list = el("div", { className: "cards" }, cards.map((card) => el("button", {
      type: "button", className: `card ${card.state}`, onclick: () => onOpen(card.agentId),
      dataset: { agent: card.agentId, state: card.state }, attrs: { "aria-label": `${agentName(card.agentId, card.title)}: ${card.state}` },
    }, cardBody(card, now))));
    return el("section", { className: `stage stage-${stage.state}`, dataset: { stage: String(stage.stage) } }, head, list);
  });
  $("pipeline").replaceChildren(...columns);
}

/** Refresh only the running cards' elapsed time (called every second while the analysis runs). */
export function tickPipeline(state, now = Date.now()) {
  for (const card of Object.values(state.agents)) {
    if (card.state !== "running") continue;
    const label = document.querySelector(`.card[data-agent="${card.agentId}"] .state`);
    if (label) label.textContent = stateText(card, now);
  }
}

function signalChips(signals) {
  return el("div", { className: "chips" }, Object.entries(signals ?? {}).map(([key, value]) =>
    el("span", { className: "chip" }, `${key}: `, el("b", { textContent: typeof value === "object" && value !== null ? JSON.stringify(value) : String(value) }))));
}

export function metricsTable(metrics) {
  const rows = Object.entries(metrics ?? {}).map(([name, value]) => {
    const { label, text } = metricText(name, value);
    return el("tr", {}, el("td", { textContent: label }), el("td", { className: "muted", textContent: name }), el("td", { className: "num", textContent: text }));
  });
  return el("table", { className: "grid metrics" }, el("tbody", {}, rows));
}

/** Open the drawer on one agent's full view: narrative, evidence, metrics, signals, provider and usage. */
export function openDrawer(card) {
  const result = card.result;
  $("drawer-title").textContent = agentName(card.agentId, card.title);
  const body = [el("dl", { className: "kv" },
    el("dt", { textContent: t("status") }), el("dd", { textContent: `${t(card.state)} · ${fmtDuration(elapsedSeconds(card.startedAt, card.endedAt))}` }),
    result && card.state !== "failed" ? [el("dt", { textContent: t("stance") }), el("dd", { className: result.stance, textContent: t(result.stance) }),
      el("dt", { textContent: t("score") }), el("dd", { textContent: fmtScore(result.score) }),
      el("dt", { textContent: t("confidence") }), el("dd", { textContent: result.confidence.toFixed(2) }),
      el("dt", { textContent: t("provider") }), el("dd", { textContent: result.provider }),
      el("dt", { textContent: t("usage") }), el("dd", { textContent: usageText(result.usage) })] : null)];
  if (card.error) body.push(el("h3", { textContent: t("error") }), el("p", { className: "reason", textContent: card.error }));
  if (result?.fallback) body.push(el("p", { className: "degraded-box", textContent: t("fallback") }));
  if (result?.summary && card.state !== "failed") body.push(el("h3", { textContent: t("narrative") }), markdown(result.summary));
  if (result?.evidence?.length) body.push(el("h3", { textContent: t("evidence") }), el("ul", {}, result.evidence.map((line) => el("li", { textContent: line }))));
  if (result && Object.keys(result.metrics ?? {}).length) body.push(el("h3", { textContent: t("metrics") }), metricsTable(result.metrics));
  if (result && Object.keys(result.signals ?? {}).length) body.push(el("h3", { textContent: t("signals") }), signalChips(result.signals));
  $("drawer-body").replaceChildren(...body);
  $("drawer").dataset.agent = card.agentId;
  if (!$("drawer").open) $("drawer").showModal();
}

export function usageText(usage) {
  if (!usage || !usage.llm_calls) return t("usage_none");
  return `${usage.llm_calls} ${t("calls")} · ${usage.tokens_in} / ${usage.tokens_out} · ${usage.latency_ms} ms · $${usage.cost_usd.toFixed(5)}`;
}
