// Reports to take away: the analysis as Markdown, and as the print-only report the PDF is made from.
// Both are rendered from one report model (`reportModel`), so the two always carry the same content:
// the decision, usage, every agent's narrative, evidence, metric table and signals, and the data.

import { $, el, fmtNum, fmtScore, fmtUsd, markdown } from "./dom.js";
import { agentName, lang, stageName, t } from "./i18n.js";
import { describeMetric, formatMetric } from "./metrics.js";
import { failedAgents, totalUsage } from "./analysisState.js";
import { decisionText } from "./decision.js";

/** A table: a head row and rows of plain-text cells. @typedef {{head: string[], rows: string[][]}} Table */

function decisionTable(d) {
  const text = decisionText(d);
  return { head: ["", ""], rows: [[t("action"), text.action], [t("position"), `${fmtNum(d.position_pct, 1)}%`],
    [t("entry"), text.entry], [t("stop"), text.stop],
    [t("target"), text.target], [t("horizon"), `${d.horizon_days} ${t("days")}`], [t("confidence"), d.confidence.toFixed(2)],
    [t("dissent"), d.dissent.join(", ") || t("none")]] };
}

function metricTable(metrics) {
  const rows = Object.entries(metrics ?? {}).map(([name, value]) => {
    const { unit, label } = describeMetric(name, lang());
    return [label, name, formatMetric(value, unit, lang())];
  });
  return rows.length ? { head: [t("metrics"), "", ""], rows } : null;
}

const signalText = (signals) => Object.entries(signals ?? {})
  .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join("; ");

function agentSection(card) {
  const r = card.result;
  const heading = { stage: card.stage, stageName: stageName(card.stage, ""), name: agentName(card.agentId, card.title) };
  if (!r || card.state === "failed") {
    return { ...heading, status: `${t(card.state === "pending" ? "waiting" : card.state)}${card.error ? `: ${card.error}` : ""}` };
  }
  return { ...heading, headline: { stance: t(r.stance), rest: `${fmtScore(r.score)} · ${t("confidence")} ${r.confidence.toFixed(2)} · ${t("provider")} ${r.provider}` },
    error: card.error, summary: r.summary, evidence: r.evidence ?? [], metrics: metricTable(r.metrics), signals: signalText(r.signals) };
}

function usageTable(usage) {
  if (!usage.llm_calls) return null;
  return { head: [t("calls"), t("tokens"), t("latency"), t("cost")],
    rows: [[String(usage.llm_calls), `${usage.tokens_in} / ${usage.tokens_out}`, `${usage.latency_ms} ms`, fmtUsd(usage.cost_usd)]] };
}

function dataTable(data) {
  return { head: [t("data"), t("source"), t("dates"), t("rows"), t("status"), ""],
    rows: Object.entries(data ?? {}).map(([part, i]) => [part, i.source ?? "–", i.first ? `${i.first} → ${i.last}` : "–", String(i.rows ?? "–"),
      i.missing ? t("missing") : i.stale ? t("stale") : t("ok"), i.note ?? ""]) };
}

/** What a report says, independent of its format. */
export function reportModel(state) {
  const failed = failedAgents(state);
  return {
    title: `${t("report_title")}: ${`${state.symbol ?? ""} ${state.name ?? ""}`.trim()}`,
    subtitle: `${t("as_of")}: ${state.asOf ?? "–"} · ${t("status")}: ${state.status}${state.degraded ? ` (${t("degraded")})` : ""} · ${t("task")}: ${state.taskId}`,
    decision: state.decision ? { table: decisionTable(state.decision), rationale: state.decision.rationale } : null,
    noDecision: state.error ? `${t("failed_reason")}: ${state.error}` : t("waiting"),
    degradedBy: failed.length ? `${t("degraded_by")}: ${failed.map((c) => `${agentName(c.agentId, c.title)} (${c.error ?? ""})`).join(", ")}` : null,
    usage: usageTable(totalUsage(state)),
    agents: Object.values(state.agents).map(agentSection),
    data: dataTable(state.data),
  };
}

// --- Markdown ----------------------------------------------------------------------------------------

const mdCell = (value) => String(value ?? "–").replaceAll("|", "\\|").replaceAll("\n", " ");
const mdTable = ({ head, rows }) => [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`)].join("\n");
const mdMetrics = (table) => mdTable({ head: table.head, rows: table.rows.map(([label, name, value]) => [label, `\`${name}\``, value]) });

function mdAgent(a) {
  const out = [`### ${t("stage")} ${a.stage} · ${a.stageName} · ${a.name}`, ""];
  if (a.status) return [...out, `_${a.status}_`, ""];
  out.push(`**${a.headline.stance}** ${a.headline.rest}`, "");
  if (a.error) out.push(`${t("error")}: ${a.error}`, "");
  if (a.summary) out.push(a.summary, "");
  if (a.evidence.length) out.push(...a.evidence.map((line) => `- ${line}`), "");
  if (a.metrics) out.push(mdMetrics(a.metrics), "");
  if (a.signals) out.push(`${t("signals")}: ${a.signals}`, "");
  return out;
}

/** The whole analysis as Markdown; ``chartImage`` (a PNG data URL) is embedded when given. */
export function toMarkdown(state, chartImage) {
  const m = reportModel(state);
  const out = [`# ${m.title}`, "", m.subtitle, ""];
  if (chartImage) out.push(`![${t("chart")}](${chartImage})`, "");
  out.push(`## ${t("decision")}`, "");
  if (m.decision) out.push(mdTable(m.decision.table), "", m.decision.rationale, "");
  else out.push(m.noDecision, "");
  if (m.degradedBy) out.push(`**${m.degradedBy}**`, "");
  out.push(`## ${t("usage")}`, "", m.usage ? mdTable(m.usage) : t("usage_none"), "");
  out.push(`## ${t("agents")}`, "", ...m.agents.flatMap(mdAgent));
  out.push(`## ${t("data")}`, "", mdTable(m.data), "");
  out.push(`_${t("generated")}: ${new Date().toISOString()}_`, "");
  return out.join("\n");
}

// --- The print report (PDF) --------------------------------------------------------------------------

const htmlTable = ({ head, rows }, className = "") => el("table", { className },
  head.some(Boolean) ? el("thead", {}, el("tr", {}, head.map((h) => el("th", { textContent: h })))) : null,
  el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", { textContent: c }))))));

function htmlAgent(a) {
  const section = el("div", { className: "agent" }, el("h3", { textContent: `${a.stage} · ${a.name}` }));
  if (a.status) {
    section.append(el("p", { textContent: a.status }));
    return section;
  }
  section.append(el("p", {}, el("strong", { textContent: a.headline.stance }), ` ${a.headline.rest}`));
  if (a.error) section.append(el("p", { textContent: `${t("error")}: ${a.error}` }));
  section.append(markdown(a.summary));
  if (a.evidence.length) section.append(el("ul", {}, a.evidence.map((line) => el("li", { textContent: line }))));
  if (a.metrics) section.append(htmlTable(a.metrics, "metrics"));
  if (a.signals) section.append(el("p", { className: "signals", textContent: `${t("signals")}: ${a.signals}` }));
  return section;
}

/** Fill the print-only report (what "PDF" prints) from the same model as the Markdown. */
export function renderReport(state, chartImage) {
  const m = reportModel(state);
  const parts = [el("h1", { textContent: m.title }), el("p", { textContent: m.subtitle })];
  if (chartImage) parts.push(el("img", { src: chartImage, alt: t("chart") }));
  parts.push(el("h2", { textContent: t("decision") }));
  if (m.decision) parts.push(htmlTable(m.decision.table), markdown(m.decision.rationale));
  else parts.push(el("p", { textContent: m.noDecision }));
  if (m.degradedBy) parts.push(el("p", { textContent: m.degradedBy }));
  parts.push(el("h2", { textContent: t("usage") }), m.usage ? htmlTable(m.usage) : el("p", { textContent: t("usage_none") }));
  parts.push(el("h2", { textContent: t("agents") }), ...m.agents.map(htmlAgent));
  parts.push(el("h2", { textContent: t("data") }), htmlTable(m.data));
  $("report").replaceChildren(...parts);
}
