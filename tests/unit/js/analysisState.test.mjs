// static/analysisState.js: the fold of an analysis's events, each applied once.
import { test } from "node:test";
import assert from "node:assert/strict";

const { applyEvent, failedAgents, newAnalysis, totalUsage } = await import(
  new URL("../../../functions/investmind/api/static/analysisState.js", import.meta.url)
);

const ROSTER = {
  stages: [
    { stage: 1, name: "Analysts", agents: [{ agent_id: "macro", title: "Macro" }, { agent_id: "funds", title: "Funds" }] },
    { stage: 2, name: "Directors", agents: [{ agent_id: "momentum_director", title: "Momentum" }] },
  ],
};
const usage = (calls) => ({ llm_calls: calls, tokens_in: 10 * calls, tokens_out: calls, latency_ms: 5, cost_usd: 0.001 * calls });
const ts = (s) => `2026-01-05T10:00:${String(s).padStart(2, "0")}.000Z`;

function events() {
  let seq = 0;
  const e = (type, extra = {}) => ({ seq: ++seq, task_id: "t", type, ts: ts(seq), data: {}, ...extra });
  return [
    e("task_queued", { data: { symbol: "601318.SH", agents: ["macro"], priority: "high" } }),
    e("task_started", { data: { symbol: "601318.SH", name: "中国平安", as_of: "2024-03-15", data: { bars: { source: "bundled" } } } }),
    e("stage_started", { stage: 1 }),
    e("agent_started", { stage: 1, agent_id: "macro" }),
    e("log", { agent_id: "macro", data: { level: "info", message: "quant core done" } }),
    e("agent_completed", { stage: 1, agent_id: "macro", data: { result: { status: "succeeded", stance: "bearish", score: -12, usage: usage(2) } } }),
    e("progress", { data: { percent: 40 } }),
    e("progress", { data: { percent: 30 } }),
    e("agent_failed", { stage: 2, agent_id: "momentum_director", data: { error: "boom", result: { status: "failed", usage: usage(1) } } }),
    e("stage_completed", { stage: 1, data: { succeeded: 1, failed: 0 } }),
    e("task_completed", { data: { decision: { action: "HOLD" }, degraded: true, usage: usage(3), duration_ms: 900 } }),
  ];
}

test("the fold follows an analysis to its decision", () => {
  const state = newAnalysis("t", ROSTER);
  for (const event of events()) assert.equal(applyEvent(state, event), true);

  assert.equal(state.status, "SUCCEEDED");
  assert.equal(state.name, "中国平安");
  assert.equal(state.asOf, "2024-03-15");
  assert.equal(state.agents.funds.state, "not_requested");        // not among the requested analysts
  assert.equal(state.agents.macro.state, "succeeded");
  assert.equal(state.agents.macro.startedAt, ts(4));
  assert.equal(state.agents.momentum_director.error, "boom");
  assert.deepEqual(failedAgents(state).map((c) => c.agentId), ["momentum_director"]);
  assert.equal(state.percent, 100);
  assert.equal(state.degraded, true);
  assert.deepEqual(state.decision, { action: "HOLD" });
  assert.equal(totalUsage(state).llm_calls, 3);
  assert.equal(state.stages[1].state, "done");
  assert.equal(state.logs.length, 1);
});

test("an event replayed, or older than the last applied, changes nothing", () => {
  const state = newAnalysis("t", ROSTER);
  const all = events();
  for (const event of all.slice(0, 6)) applyEvent(state, event);
  const before = JSON.stringify(state);

  for (const event of all.slice(0, 6).reverse()) assert.equal(applyEvent(state, event), false);
  assert.equal(JSON.stringify(state), before);
  assert.equal(state.logs.length, 1);
});

test("progress never goes back, and usage before the end sums the agents' results", () => {
  const state = newAnalysis("t", ROSTER);
  for (const event of events().slice(0, 9)) applyEvent(state, event);

  assert.equal(state.percent, 40);
  assert.equal(state.status, "RUNNING");
  assert.deepEqual(totalUsage(state), { llm_calls: 3, tokens_in: 30, tokens_out: 3, latency_ms: 10, cost_usd: 0.003 });
});

test("a cancelled analysis keeps no agent running", () => {
  const state = newAnalysis("t", ROSTER);
  const all = events().slice(0, 4);
  for (const event of all) applyEvent(state, event);
  applyEvent(state, { seq: 5, type: "task_cancelled", ts: ts(5), data: { reason: "cancelled by local" } });

  assert.equal(state.status, "CANCELLED");
  assert.equal(state.error, "cancelled by local");
  assert.equal(state.agents.macro.state, "skipped");
  assert.equal(state.decision, null);
});
