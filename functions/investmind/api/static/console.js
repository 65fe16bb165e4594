// The InvestMind web console: routes, the submit form, My analyses, Compare, sign-in and the language.
// URLs are relative so the console works under an API Gateway stage prefix too.

import { $, el, fmtDuration, fmtTime } from "./dom.js";
import { applyStatic, lang, onLanguage, setLanguage, t } from "./i18n.js";
import { ApiError, createClient } from "./analysisClient.js";
import { elapsedSeconds } from "./analysisState.js";
import { delivered, showAnalysis } from "./analysisView.js";
import { renderCompare, renderPicker } from "./compare.js";
import { createOAuth } from "./oauth.js";

const KEY_STORE = "investmind.apiKey";
/** The account sign-in (OAuth code flow with PKCE) when the deployment has one (`GET auth/config`); else null. */
let oauth = null;
// An API key, when set, wins: it is what a local deployment and the CLI's users have.
const client = createClient({ getToken: () => localStorage.getItem(KEY_STORE) || oauth?.accessToken() || null });
let roster = null, symbols = new Map(), view = null, cursor = null;
globalThis.investmindConsole = { delivered, get view() { return view; } };

function showError(error) {
  $("banner").textContent = error ? String(error.message ?? error) : "";
  $("banner").hidden = !error;
}

function setConnection(state) {
  const badge = $("conn");
  badge.hidden = !state;
  badge.className = `conn ${state ?? ""}`;
  badge.dataset.state = state ?? "";
  badge.textContent = state ? t(`conn_${state}`) : "";
}

async function loadBasics() {
  roster ??= await client.agents();
  if (!symbols.size) {
    const list = await client.symbols();
    symbols = new Map(list.items.map((item) => [item.symbol, item]));
    $("symbol-list").replaceChildren(...list.items.map((item) => el("option", { value: item.symbol, label: `${item.name} · ${item.symbol} (${item.first} → ${item.last})` })));
    $("symbol-filter").append(...list.items.map((item) => el("option", { value: item.symbol, textContent: `${item.symbol} ${item.name}` })));
  }
}

// --- home: submit and My analyses ------------------------------------------------------------------

function renderForm() {
  const box = $("stage1");
  const checked = new Set([...box.querySelectorAll("input:checked")].map((input) => input.value));
  box.replaceChildren(el("legend", { textContent: t("stage1") }), ...roster.stages[0].agents.map((agent) => el("label", { title: agent.role },
    el("input", { type: "checkbox", name: "agents", value: agent.agent_id, checked: checked.size ? checked.has(agent.agent_id) : true }),
    agent.title)));
}

function fieldErrors(errors) {
  for (const node of document.querySelectorAll(".field-error")) node.textContent = "";
  for (const input of document.querySelectorAll("#submit-form [aria-invalid]")) input.removeAttribute("aria-invalid");
  for (const [field, message] of Object.entries(errors)) {
    const slot = document.querySelector(`.field-error[data-for="${field}"]`) ?? document.querySelector('.field-error[data-for="symbol"]');
    slot.textContent = message;
    document.querySelector(`#submit-form [name="${field}"]`)?.setAttribute("aria-invalid", "true");
  }
}

/** The API's 422 as messages per form field (a validation error's ``loc``, or the unknown symbol). */
function errorsOf(error) {
  if (error.code === "unknown_symbol") return { symbol: error.message };
  if (error.code === "validation_error" && Array.isArray(error.details)) {
    return Object.fromEntries(error.details.map((d) => [typeof d.loc?.[1] === "string" ? d.loc[1] : "symbol", d.msg]));
  }
  return null;
}

async function submit(event) {
  event.preventDefault();
  const form = new FormData(event.target);
  const symbol = String(form.get("symbol") ?? "").trim();
  const agents = form.getAll("agents");
  if (!symbol) return fieldErrors({ symbol: t("symbol") + " ?" });
  if (!agents.length) return fieldErrors({ agents: t("stage1") + " ?" });
  const body = { symbol, priority: form.get("priority") };
  if (form.get("as_of")) body.as_of = form.get("as_of");
  if (agents.length < roster.stages[0].agents.length) body.agents = agents;
  try {
    const accepted = await client.submit(body, { idempotencyKey: crypto.randomUUID() });
    fieldErrors({});
    location.hash = `#/analyses/${accepted.task_id}`;
  } catch (error) {
    const byField = error instanceof ApiError ? errorsOf(error) : null;
    if (byField) fieldErrors(byField);
    else showError(error);
  }
}

function historyRow(task) {
  const info = symbols.get(task.symbol);
  const took = elapsedSeconds(task.started_at ?? task.created_at, task.ended_at);
  return el("tr", { className: "link", tabIndex: 0, dataset: { task: task.task_id, status: task.status, symbol: task.symbol },
    onclick: () => { location.hash = `#/analyses/${task.task_id}`; },
    onkeydown: (e) => { if (e.key === "Enter") location.hash = `#/analyses/${task.task_id}`; } },
  el("td", { className: "sym" }, task.symbol, info ? el("small", { textContent: info.name }) : null),
  el("td", { className: "num", textContent: task.as_of ?? t("latest") }),
  el("td", {}, el("span", { className: `pill ${task.status}`, textContent: task.status }), task.degraded ? el("span", { className: "pill pill-warn", textContent: t("degraded") }) : null),
  el("td", {}, task.decision ? el("span", { className: `act-${task.decision.action}`, textContent: `${task.decision.action} · ${task.decision.rating}` }) : "–"),
  el("td", { className: "num", textContent: fmtTime(task.created_at) }),
  el("td", { className: "num", textContent: task.ended_at ? fmtDuration(took) : `${task.progress.percent}%` }));
}

/** A page of My analyses, filtered by the list API (status and symbol). */
async function renderHistory(append = false) {
  const status = $("status-filter").value, symbol = $("symbol-filter").value;
  if (!append) cursor = null;
  const page = await client.list({ status, symbol, limit: 20, cursor });
  const rows = page.items;
  cursor = page.next_cursor;
  const body = $("history");
  if (append) body.append(...rows.map(historyRow));
  else body.replaceChildren(...rows.map(historyRow));
  $("history-empty").hidden = body.children.length > 0;
  $("more").hidden = !cursor;
}

// --- compare ---------------------------------------------------------------------------------------

async function showCompare(first, second) {
  const a = await client.get(first);
  if (!second) {
    const page = await client.list({ symbol: a.symbol, limit: 50 });
    const others = page.items.filter((task) => task.task_id !== a.task_id);
    return renderPicker($("compare-body"), a, others);
  }
  const b = await client.get(second);
  if (a.symbol !== b.symbol) throw new Error(`${a.symbol} ≠ ${b.symbol}: ${t("pick_two")}`);
  const [older, newer] = (a.as_of ?? "9999") <= (b.as_of ?? "9999") ? [a, b] : [b, a];
  renderCompare($("compare-body"), older, newer, roster, symbols.get(a.symbol)?.name);
}

// --- routing ---------------------------------------------------------------------------------------

async function route() {
  view?.close();
  view = null;
  setConnection(null);
  showError(null);
  const hash = location.hash;
  const live = hash.match(/^#\/analyses\/([0-9a-f]{32})$/);
  const compare = hash.match(/^#\/compare\/([0-9a-f]{32})(?:\/([0-9a-f]{32}))?$/);
  for (const id of ["view-home", "view-analysis", "view-compare"]) $(id).hidden = true;
  try {
    await loadBasics();
    if (live) {
      $("view-analysis").hidden = false;
      view = showAnalysis(live[1], { client, roster, setConnection, showError });
    } else if (compare) {
      $("view-compare").hidden = false;
      await showCompare(compare[1], compare[2]);
    } else {
      $("view-home").hidden = false;
      renderForm();
      await renderHistory();
      if (hash === "#/analyses") $("history-panel").scrollIntoView();
    }
  } catch (error) {
    showError(error);
  }
}

// --- sign-in and language --------------------------------------------------------------------------

function renderSignIn() {
  const state = localStorage.getItem(KEY_STORE) ? "key" : oauth?.signedIn() ? "account" : "none";
  $("signin-open").textContent = t({ key: "signed_in", account: "signed_in_account", none: "sign_in" }[state]);
  $("signin-open").dataset.state = state;
  $("signin-account").hidden = !oauth;
}

/** Load the deployment's sign-in and finish an account sign-in this page was sent back from; returns its error. */
async function startAuth() {
  const response = await fetch("auth/config", { headers: { Accept: "application/json" } }).catch(() => null);
  const config = response?.ok ? await response.json() : null;
  oauth = config?.oauth ? createOAuth(config.oauth) : null;
  if (!oauth || !new URL(location.href).searchParams.size) return null;
  try {
    const done = await oauth.complete();
    history.replaceState(null, "", `${location.pathname}${done?.returnTo ?? location.hash}`);
    return null;
  } catch (error) {
    history.replaceState(null, "", `${location.pathname}${location.hash}`);
    return error;
  }
}

$("signin-open").addEventListener("click", () => { $("signin-form").key.value = localStorage.getItem(KEY_STORE) ?? ""; $("signin").showModal(); });
$("signin-oauth").addEventListener("click", () => oauth.signIn(location.hash).catch(showError));
$("signin").addEventListener("close", () => {
  const choice = $("signin").returnValue, key = $("signin-form").key.value.trim();
  if (choice === "save" && key) localStorage.setItem(KEY_STORE, key);
  if (choice === "clear") {
    localStorage.removeItem(KEY_STORE);
    if (oauth?.signedIn()) return oauth.signOut(); // leaves the page for the authorization server's logout
  }
  renderSignIn();
  if (choice === "save" || choice === "clear") route();
});
$("lang").addEventListener("click", () => setLanguage(lang() === "zh" ? "en" : "zh"));
onLanguage(() => { $("lang").textContent = lang() === "zh" ? "EN" : "中文"; renderSignIn(); route(); });
$("submit-form").addEventListener("submit", submit);
$("refresh").addEventListener("click", () => renderHistory().catch(showError));
$("status-filter").addEventListener("change", () => renderHistory().catch(showError));
$("symbol-filter").addEventListener("change", () => renderHistory().catch(showError));
$("more").addEventListener("click", () => renderHistory(true).catch(showError));
window.addEventListener("hashchange", route);

applyStatic(document);
$("lang").textContent = lang() === "zh" ? "EN" : "中文";
startAuth().then(async (error) => {
  renderSignIn();
  await route();
  if (error) showError(error); // after route(), which clears the banner
});
