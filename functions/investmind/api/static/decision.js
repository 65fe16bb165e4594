// The decision card, the data provenance table and the analysis' LLM usage.

import { el, fmtNum, fmtUsd, markdown } from "./dom.js";
import { agentName, t } from "./i18n.js";
import { failedAgents, totalUsage } from "./analysisState.js";

const fromClose = (fraction) => (Number.isFinite(fraction) ? `${fraction >= 0 ? "+" : ""}${(fraction * 100).toFixed(1)}% ${t("from_close")}` : "–");

/**
 * The decision's action and levels as text. A decision without enough agents behind it is no trade
 * decision (``tradeable`` false, ``missing`` names them); on adjusted-only prices the levels exist only
 * relative to the close (``price_basis`` "adjusted", the ``*_pct`` fractions).
 */
export function decisionText(d) {
  const adjusted = d.price_basis === "adjusted";
  const range = adjusted ? d.entry_range_pct : d.entry_range;
  const level = (price, fraction) => (adjusted ? fromClose(fraction) : fmtNum(price));
  return {
    action: d.tradeable === false ? `${t("no_trade")} (${d.missing.join(", ")} ${t("failed")})` : `${d.action} (${d.rating})`,
    entry: range ? `${level(range[0], range[0])} – ${level(range[1], range[1])}` : "–",
    stop: level(d.stop_loss, d.stop_loss_pct),
    target: level(d.take_profit, d.take_profit_pct),
  };
}

export function decisionCard(state) {
  const d = state.decision;
  const failed = failedAgents(state);
  const parts = [];
  if (!d) {
    parts.push(el("p", { className: "muted", textContent: state.status === "FAILED" ? `${t("failed_reason")}: ${state.error ?? ""}`
      : state.status === "CANCELLED" ? t("cancelled") : t("waiting") }));
  } else {
    parts.push(el("div", { className: "decision-main" },
      el("span", { className: `act act-${d.action}`, textContent: d.action, dataset: { field: "action" } }),
      el("span", { className: "rating", textContent: d.rating, dataset: { field: "rating" } }),
      el("span", { className: "muted", textContent: `${t("confidence")} ${d.confidence.toFixed(2)}` })));
    const text = decisionText(d);
    if (d.tradeable === false) parts.push(el("div", { className: "degraded-box", dataset: { field: "untradeable" }, textContent: text.action }));
    const rows = [
      [t("position"), `${fmtNum(d.position_pct, 1)}%`], [t("entry"), text.entry],
      [t("stop"), text.stop], [t("target"), text.target], [t("horizon"), `${d.horizon_days} ${t("days")}`],
      [t("dissent"), d.dissent.length ? d.dissent.join(", ") : t("none")],
    ];
    parts.push(el("dl", { className: "kv" }, rows.map(([k, v]) => [el("dt", { textContent: k }), el("dd", { textContent: v })])));
  }
  if (state.degraded || failed.length) {
    parts.push(el("div", { className: "degraded-box", dataset: { field: "degraded" } },
      `${t("degraded_by")}: `, failed.map((card) => agentName(card.agentId, card.title)).join(", ") || "–"));
  }
  if (d) parts.push(el("div", { className: "rationale" }, markdown(d.rationale)));
  parts.push(usageBlock(state));
  return parts;
}

function usageBlock(state) {
  const usage = totalUsage(state);
  const rows = [[t("calls"), String(usage.llm_calls)], [t("tokens"), `${usage.tokens_in} / ${usage.tokens_out}`],
    [t("latency"), `${usage.latency_ms} ms`], [t("cost"), fmtUsd(usage.cost_usd)]];
  return el("div", { className: "rationale" }, el("h2", { textContent: t("usage") }),
    usage.llm_calls ? el("dl", { className: "kv" }, rows.map(([k, v]) => [el("dt", { textContent: k }), el("dd", { textContent: v })]))
      : el("p", { className: "muted", textContent: t("usage_none") }));
}

/** Per data part: where it came from, its dates and rows, stale/missing and why. */
export function provenanceTable(data) {
  if (!data) return el("p", { className: "muted", textContent: t("not_started") });
  const rows = Object.entries(data).map(([part, info]) => {
    const flag = info.missing ? t("missing") : info.stale ? t("stale") : t("ok");
    return el("tr", {}, el("td", { textContent: part }), el("td", { textContent: info.source ?? "–" }),
      el("td", { className: "num", textContent: info.first ? `${info.first} → ${info.last}` : "–" }),
      el("td", { className: "num", textContent: String(info.rows ?? 0) }),
      el("td", { className: info.missing ? "bad" : info.stale ? "warn" : "ok", textContent: flag, title: info.note ?? "" }),
      el("td", { className: "muted", textContent: info.note ?? "" }));
  });
  return el("div", { className: "table-wrap" }, el("table", { className: "grid" },
    el("thead", {}, el("tr", {}, [t("data"), t("source"), t("dates"), t("rows"), t("status"), ""].map((h) => el("th", { textContent: h })))),
    el("tbody", {}, rows)));
}
