// The InvestMind web console: submit a symbol, list analyses, and watch one live through sseClient.js.
// URLs are relative so the console works under an API Gateway stage prefix too.

import { connect } from "./sseClient.js";

const $ = (id) => document.getElementById(id);
let roster = null; // GET v1/agents, loaded once
let live = null; // the open stream subscription
let nextCursor = null;

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child ?? "");
  return node;
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { "Content-Type": "application/json", ...(options.headers ?? {}) },
  });
  const body = response.status === 204 ? null : await response.json().catch(() => null); // e.g. a proxy's HTML
  if (!response.ok) {
    const error = body?.error ?? { code: `http_${response.status}`, message: response.statusText };
    throw Object.assign(new Error(`${error.code}: ${error.message}`), { error });
  }
  return body;
}

function showError(error) {
  const banner = $("banner");
  banner.textContent = error ? String(error.message ?? error) : "";
  banner.hidden = !error;
}

async function loadRoster() {
  roster ??= await api("v1/agents");
  return roster;
}

// --- home: submit and list ---------------------------------------------------------------------

async function renderForm() {
  const { stages } = await loadRoster();
  const box = $("stage1");
  box.replaceChildren(el("legend", { textContent: "Stage-1 analysts" }));
  for (const agent of stages[0].agents) {
    const input = el("input", { type: "checkbox", name: "agents", value: agent.agent_id, checked: true });
    box.append(el("label", { title: agent.role }, input, agent.title));
  }
}

async function submit(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const body = { symbol: form.get("symbol").trim(), priority: form.get("priority") };
  if (form.get("as_of")) body.as_of = form.get("as_of");
  const agents = form.getAll("agents");
  if (agents.length < roster.stages[0].agents.length) body.agents = agents;
  try {
    const accepted = await api("v1/analyses", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "Idempotency-Key": crypto.randomUUID?.() ?? `${Date.now()}-${Math.random()}` },
    });
    location.hash = `#/analyses/${accepted.task_id}`;
  } catch (error) {
    showError(error);
  }
}

async function renderList(append = false) {
  const status = $("status-filter").value;
  const query = new URLSearchParams({ limit: "20" });
  if (status) query.set("status", status);
  if (append && nextCursor) query.set("cursor", nextCursor);
  const page = await api(`v1/analyses?${query}`);
  const rows = page.items.map((task) =>
    el(
      "tr", { className: "clickable", onclick: () => { location.hash = `#/analyses/${task.task_id}`; } },
      el("td", { textContent: task.task_id.slice(0, 8) }),
      el("td", { textContent: task.symbol }),
      el("td", { className: task.status, textContent: task.status + (task.degraded ? " (degraded)" : "") }),
      el("td", { textContent: `${task.progress.percent}%` }),
      el("td", { textContent: task.created_at.replace("T", " ").slice(0, 19) }),
    ),
  );
  if (append) $("analyses").append(...rows);
  else $("analyses").replaceChildren(...rows);
  nextCursor = page.next_cursor;
  $("more").hidden = !nextCursor;
}

// --- live view: a row per stage and per agent, driven by the event stream ---------------------

function stateRow(id, label, className = "") {
  const cells = ["state", "stance", "score", "summary"].map((name) => el("td", { className: `c-${name}` }));
  cells[0].textContent = "pending";
  return el("tr", { id, className }, el("td", { textContent: label }), ...cells);
}

function setCells(rowId, values) {
  const row = $(rowId);
  if (!row) return;
  for (const [name, value] of Object.entries(values)) {
    const cell = row.querySelector(`.c-${name}`);
    if (!cell) continue;
    cell.textContent = value ?? "";
    if (name === "state") cell.className = `c-state state-${value}`;
    if (name === "stance") cell.className = `c-stance ${value ?? ""}`;
  }
}

function setStatus(status) {
  $("live-status").textContent = status;
  $("live-status").className = status;
  $("cancel").hidden = ["SUCCEEDED", "FAILED", "CANCELLED"].includes(status);
}

function logLine(text, level = "info") {
  const box = $("log");
  box.append(el("div", { className: level, textContent: text }));
  box.scrollTop = box.scrollHeight;
}

function showDecision(data) {
  const d = data.decision;
  if (!d) return;
  // A decision without enough agents behind it is no trade decision (Decision.tradeable, missing);
  // on adjusted-only prices the levels are percentages from the close (price_basis "adjusted").
  const fromClose = (v) => (v == null ? null : `${(v * 100).toFixed(1)}% from the close`);
  const adjusted = d.price_basis === "adjusted";
  const rows = [
    ["Action", d.tradeable === false ? `no trade decision (${d.missing.join(", ")} failed)` : `${d.action} (${d.rating})`],
    ["Position", `${d.position_pct}%`],
    ["Entry range", adjusted ? d.entry_range_pct?.map(fromClose).join(" – ") : d.entry_range?.join(" – ")],
    ["Stop loss", adjusted ? fromClose(d.stop_loss_pct) : d.stop_loss],
    ["Take profit", adjusted ? fromClose(d.take_profit_pct) : d.take_profit],
    ["Horizon", `${d.horizon_days} days`], ["Confidence", d.confidence], ["Dissent", d.dissent.join(", ")],
    ["Degraded", data.degraded ? "yes" : "no"], ["Rationale", d.rationale],
  ];
  $("decision-rows").replaceChildren(
    ...rows.map(([k, v]) => el("tr", {}, el("th", { textContent: k }), el("td", { textContent: v ?? "–" }))),
  );
  $("decision").hidden = false;
}

function onEvent(event) {
  const { type, data, agent_id: agentId, stage } = event;
  const result = data.result;
  switch (type) {
    case "task_queued": setStatus("QUEUED"); break;
    case "task_started":
      setStatus("RUNNING");
      $("live-title").textContent = `${data.symbol} ${data.name ?? ""} · as of ${data.as_of}`;
      break;
    case "stage_started": setCells(`stage-${stage}`, { state: "running" }); break;
    case "stage_completed":
      setCells(`stage-${stage}`, { state: "succeeded", summary: `${data.succeeded} ok, ${data.failed} failed` });
      break;
    case "agent_started": setCells(`agent-${agentId}`, { state: "running" }); break;
    case "agent_completed":
    case "agent_failed":
      setCells(`agent-${agentId}`, {
        state: result?.status ?? "failed", stance: result?.stance, score: result?.score?.toFixed(1),
        summary: (data.error ?? result?.summary ?? "").split("\n")[0].slice(0, 140),
      });
      break;
    case "progress": $("live-bar").style.width = `${data.percent}%`; break;
    case "log": logLine(`${event.ts.slice(11, 19)} ${agentId ?? "-"} ${data.message}`, data.level); break;
    case "task_completed":
      setStatus("SUCCEEDED");
      $("live-bar").style.width = "100%";
      showDecision(data);
      break;
    case "task_failed": setStatus("FAILED"); logLine(`failed: ${data.error}`, "error"); break;
    case "task_cancelled": setStatus("CANCELLED"); logLine(data.reason, "warning"); break;
  }
}

async function renderLive(taskId) {
  const { stages } = await loadRoster();
  $("live-title").textContent = taskId;
  $("live-bar").style.width = "0";
  $("log").replaceChildren();
  $("decision").hidden = true;
  setStatus("…");
  const rows = [];
  for (const stage of stages) {
    rows.push(stateRow(`stage-${stage.stage}`, `Stage ${stage.stage} · ${stage.name}`, "stage"));
    rows.push(...stage.agents.map((agent) => stateRow(`agent-${agent.agent_id}`, `  ${agent.title}`)));
  }
  $("agents").replaceChildren(...rows);
  $("cancel").onclick = () =>
    api(`v1/analyses/${taskId}/cancel`, { method: "POST" }).then((r) => setStatus(r.status), showError);
  live = connect(`v1/analyses/${taskId}/stream`, {
    onEvent,
    onError: () => showError(new Error("the event stream closed (unknown analysis, or it has ended)")),
  });
}

// --- routing -----------------------------------------------------------------------------------

async function route() {
  live?.close();
  live = null;
  showError(null);
  const match = location.hash.match(/^#\/analyses\/([0-9a-f]{32})$/);
  $("home").hidden = Boolean(match);
  $("live").hidden = !match;
  try {
    if (match) await renderLive(match[1]);
    else await Promise.all([renderForm(), renderList()]);
  } catch (error) {
    showError(error);
  }
}

$("submit").addEventListener("submit", submit);
$("refresh").addEventListener("click", () => renderList().catch(showError));
$("status-filter").addEventListener("change", () => renderList().catch(showError));
$("more").addEventListener("click", () => renderList(true).catch(showError));
window.addEventListener("hashchange", route);
route();
