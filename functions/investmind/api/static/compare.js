// Compare two analyses of the same symbol side by side: each agent's stance and score, the decision, what changed.

import { el, fmtNum, fmtScore } from "./dom.js";
import { agentName, t } from "./i18n.js";
import { decisionText } from "./decision.js";

const DECISION_FIELDS = [
  ["action", (d) => (d.tradeable === false ? decisionText(d).action : d.action)], ["rating", (d) => d.rating],
  ["position", (d) => `${fmtNum(d.position_pct, 1)}%`], ["entry", (d) => decisionText(d).entry],
  ["stop", (d) => decisionText(d).stop], ["target", (d) => decisionText(d).target], ["horizon", (d) => `${d.horizon_days}`],
  ["confidence", (d) => d.confidence.toFixed(2)], ["dissent", (d) => d.dissent.join(", ") || "–"],
];

const label = (task) => `${t("as_of")} ${task.as_of ?? t("latest")}`;

/** What changed between two tasks (GET v1/analyses/{id}), oldest analysis date first: rows for a table. */
export function compareTasks(a, b, roster) {
  const agents = roster.stages.flatMap((stage) => stage.agents).map((spec) => {
    const x = a.agents[spec.agent_id], y = b.agents[spec.agent_id];
    const stanceChanged = (x?.stance ?? null) !== (y?.stance ?? null);
    const delta = Number.isFinite(x?.score) && Number.isFinite(y?.score) ? y.score - x.score : null;
    return { agentId: spec.agent_id, title: spec.title, a: x, b: y, stanceChanged, delta };
  });
  const decision = DECISION_FIELDS.map(([key, show]) => {
    const va = a.decision ? show(a.decision) : "–", vb = b.decision ? show(b.decision) : "–";
    return { key, a: va, b: vb, changed: va !== vb };
  });
  return { agents, decision };
}

const side = (view) => (view ? `${view.stance ? t(view.stance) : t(view.state)} ${fmtScore(view.score)}` : "–");

export function renderCompare(container, a, b, roster, name = null) {
  const { agents, decision } = compareTasks(a, b, roster);
  const changes = [...decision.filter((row) => row.changed).map((row) => `${t(row.key)}: ${row.a} → ${row.b}`),
    ...agents.filter((row) => row.stanceChanged).map((row) => `${agentName(row.agentId, row.title)}: ${side(row.a)} → ${side(row.b)}`)];
  const head = el("tr", {}, el("th", {}), el("th", { className: "num", textContent: label(a) }), el("th", { className: "num", textContent: label(b) }),
    el("th", { className: "num", textContent: t("change") }));
  const decisionTable = el("table", { className: "grid compare" }, el("thead", {}, head.cloneNode(true)), el("tbody", {}, decision.map((row) =>
    el("tr", { className: row.changed ? "changed" : "", dataset: { field: row.key } }, el("td", { textContent: t(row.key) }),
      el("td", { className: "num", textContent: row.a }), el("td", { className: "num", textContent: row.b }),
      el("td", { className: "num", textContent: row.changed ? "≠" : "" })))));
  const agentTable = el("table", { className: "grid compare" }, el("thead", {}, head), el("tbody", {}, agents.map((row) =>
    el("tr", { className: row.stanceChanged ? "changed" : "", dataset: { agent: row.agentId } }, el("td", { textContent: agentName(row.agentId, row.title) }),
      el("td", { className: `num ${row.a?.stance ?? ""}`, textContent: side(row.a) }), el("td", { className: `num ${row.b?.stance ?? ""}`, textContent: side(row.b) }),
      el("td", { className: "num", textContent: row.delta === null ? "–" : fmtScore(row.delta) })))));
  container.replaceChildren(
    el("h1", { className: "compare-title", textContent: `${a.symbol} ${name ?? ""}` }),
    el("div", { className: "compare-grid" },
      el("div", {}, el("h2", { textContent: t("decision") }), decisionTable, el("h2", { textContent: t("what_changed") }),
        el("ul", { className: "changes" }, changes.length ? changes.map((text) => el("li", { textContent: text })) : el("li", { textContent: t("same") }))),
      el("div", {}, el("h2", { textContent: t("agents") }), agentTable)),
  );
}

/** The picker: the other analyses of ``task``'s symbol, each a link to the comparison. */
export function renderPicker(container, task, others) {
  container.replaceChildren(el("p", { className: "muted", textContent: t("pick_two") }),
    others.length ? el("table", { className: "grid" }, el("tbody", {}, others.map((other) => el("tr", {},
      el("td", { textContent: `${label(other)} · ${other.created_at.slice(0, 16).replace("T", " ")}` }), el("td", { textContent: other.status }),
      el("td", { textContent: other.decision ? `${other.decision.action} (${other.decision.rating})` : "–" }),
      el("td", {}, el("a", { href: `#/compare/${task.task_id}/${other.task_id}`, textContent: t("nav_compare") })))))) : el("p", { textContent: t("no_other") }));
}
