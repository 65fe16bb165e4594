// Reports to take away: the analysis as Markdown, and as the print-only report the PDF is made from.

import { $, el, fmtNum, fmtScore, fmtUsd, markdown } from "./dom.js";
import { agentName, lang, stageName, t } from "./i18n.js";
import { describeMetric, formatMetric } from "./metrics.js";
import { failedAgents, totalUsage } from "./analysisState.js";
import { decisionText } from "./decision.js";

const cell = (value) => String(value ?? "–").replaceAll("|", "\\|").replaceAll("\n", " ");
const mdTable = (head, rows) => [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.map(cell).join(" | ")} |`)].join("\n");

function decisionRows(d) {
  if (!d) return [];
  const text = decisionText(d);
  return [[t("action"), text.action], [t("position"), `${fmtNum(d.position_pct, 1)}%`],
    [t("entry"), text.entry], [t("stop"), text.stop],
    [t("target"), text.target], [t("horizon"), `${d.horizon_days} ${t("days")}`], [t("confidence"), d.confidence.toFixed(2)],
    [t("dissent"), d.dissent.join(", ") || t("none")]];
}

const title = (state) => `${state.symbol ?? ""} ${state.name ?? ""}`.trim();

/** The whole analysis as Markdown; ``chartImage`` (a PNG data URL) is embedded when given. */
export function toMarkdown(state, chartImage) {
  const out = [`# ${t("report_title")}: ${title(state)}`, "",
    `${t("as_of")}: ${state.asOf ?? "–"} · ${t("status")}: ${state.status}${state.degraded ? ` (${t("degraded")})` : ""} · ${t("task")}: ${state.taskId}`, ""];
  if (chartImage) out.push(`![${t("chart")}](${chartImage})`, "");
  out.push(`## ${t("decision")}`, "");
  if (state.decision) out.push(mdTable(["", ""], decisionRows(state.decision)), "", state.decision.rationale, "");
  else out.push(state.error ? `${t("failed_reason")}: ${state.error}` : t("waiting"), "");
  const failed = failedAgents(state);
  if (failed.length) out.push(`**${t("degraded_by")}:** ${failed.map((c) => `${agentName(c.agentId, c.title)} (${c.error ?? ""})`).join(", ")}`, "");
  const usage = totalUsage(state);
  out.push(`## ${t("usage")}`, "", usage.llm_calls ? mdTable([t("calls"), t("tokens"), t("latency"), t("cost")],
    [[usage.llm_calls, `${usage.tokens_in} / ${usage.tokens_out}`, `${usage.latency_ms} ms`, fmtUsd(usage.cost_usd)]]) : t("usage_none"), "");
  out.push(`## ${t("agents")}`, "");
  for (const card of Object.values(state.agents)) {
    const r = card.result;
    out.push(`### ${t("stage")} ${card.stage} · ${stageName(card.stage, "")} · ${agentName(card.agentId, card.title)}`, "");
    if (!r || card.state === "failed") {
      out.push(`_${t(card.state === "pending" ? "waiting" : card.state)}_${card.error ? `: ${card.error}` : ""}`, "");
      continue;
    }
    out.push(`**${t(r.stance)}** ${fmtScore(r.score)} · ${t("confidence")} ${r.confidence.toFixed(2)} · ${t("provider")} ${r.provider}`, "");
    if (card.error) out.push(`${t("error")}: ${card.error}`, "");
    if (r.summary) out.push(r.summary, "");
    if (r.evidence?.length) out.push(...r.evidence.map((line) => `- ${line}`), "");
    const metrics = Object.entries(r.metrics ?? {});
    if (metrics.length) {
      out.push(mdTable([t("metrics"), "", ""], metrics.map(([name, value]) => {
        const { unit, label } = describeMetric(name, lang());
        return [label, `\`${name}\``, formatMetric(value, unit, lang())];
      })), "");
    }
    if (Object.keys(r.signals ?? {}).length) out.push(`${t("signals")}: ${Object.entries(r.signals).map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`).join("; ")}`, "");
  }
  out.push(`## ${t("data")}`, "", mdTable([t("data"), t("source"), t("dates"), t("rows"), t("status"), ""],
    Object.entries(state.data ?? {}).map(([part, i]) => [part, i.source, i.first ? `${i.first} → ${i.last}` : "–", i.rows,
      i.missing ? t("missing") : i.stale ? t("stale") : t("ok"), i.note ?? ""])), "");
  out.push(`_${t("generated")}: ${new Date().toISOString()}_`, "");
  return out.join("\n");
}

/** Fill the print-only report (what "PDF" prints): title, chart image, decision, every agent's view, data. */
export function renderReport(state, chartImage) {
  const parts = [el("h1", { textContent: `${t("report_title")}: ${title(state)}` }),
    el("p", { textContent: `${t("as_of")} ${state.asOf ?? "–"} · ${state.status}${state.degraded ? ` · ${t("degraded")}` : ""} · ${state.taskId}` })];
  if (chartImage) parts.push(el("img", { src: chartImage, alt: t("chart") }));
  parts.push(el("h2", { textContent: t("decision") }));
  if (state.decision) {
    parts.push(el("table", {}, el("tbody", {}, decisionRows(state.decision).map(([k, v]) => el("tr", {}, el("th", { textContent: k }), el("td", { textContent: v }))))));
    parts.push(markdown(state.decision.rationale));
  }
  const failed = failedAgents(state);
  if (failed.length) parts.push(el("p", { textContent: `${t("degraded_by")}: ${failed.map((c) => agentName(c.agentId, c.title)).join(", ")}` }));
  parts.push(el("h2", { textContent: t("agents") }));
  for (const card of Object.values(state.agents)) {
    const r = card.result;
    const section = el("div", { className: "agent" }, el("h3", { textContent: `${card.stage} · ${agentName(card.agentId, card.title)}` }));
    if (r && card.state !== "failed") {
      section.append(el("p", { textContent: `${t(r.stance)} ${fmtScore(r.score)} · ${t("confidence")} ${r.confidence.toFixed(2)} · ${r.provider}` }));
      section.append(markdown(r.summary));
    } else {
      const reason = card.error ? `: ${card.error}` : "";
      section.append(el("p", { textContent: `${t(card.state === "pending" ? "waiting" : card.state)}${reason}` }));
    }
    parts.push(section);
  }
  parts.push(el("h2", { textContent: t("data") }), el("table", {}, el("tbody", {}, Object.entries(state.data ?? {}).map(([part, i]) =>
    el("tr", {}, el("td", { textContent: part }), el("td", { textContent: i.source ?? "–" }), el("td", { textContent: i.first ? `${i.first} → ${i.last}` : "–" }),
      el("td", { textContent: i.missing ? t("missing") : i.stale ? t("stale") : t("ok") }), el("td", { textContent: i.note ?? "" }))))));
  $("report").replaceChildren(...parts);
}
