// One analysis as the console shows it, folded from its event log (no DOM here: unit-tested under Node).
// Each event is applied once: a seq at or below the last one applied is ignored.

/**
 * @typedef {object} AgentCard
 * @property {string} agentId
 * @property {number} stage
 * @property {"pending"|"running"|"succeeded"|"failed"|"skipped"|"not_requested"} state
 * @property {string|null} startedAt
 * @property {string|null} endedAt
 * @property {object|null} result  the AgentResult
 * @property {string|null} error
 */

/** A fresh state for ``taskId`` with every agent of ``roster`` (GET v1/agents) waiting. */
export function newAnalysis(taskId, roster) {
  const agents = {};
  const stages = {};
  for (const stage of roster.stages) {
    stages[stage.stage] = { stage: stage.stage, name: stage.name, state: "pending", counts: null };
    for (const agent of stage.agents) {
      agents[agent.agent_id] = {
        agentId: agent.agent_id, stage: stage.stage, title: agent.title, state: "pending",
        startedAt: null, endedAt: null, result: null, error: null,
      };
    }
  }
  return {
    taskId, symbol: null, name: null, industry: null, asOf: null, priority: null, status: "QUEUED",
    degraded: false, error: null, stages, agents, percent: 0, decision: null, usage: null, durationMs: null,
    data: null, logs: [], lastSeq: 0, queuedAt: null, startedAt: null, endedAt: null,
  };
}

const TERMINAL = { task_completed: "SUCCEEDED", task_failed: "FAILED", task_cancelled: "CANCELLED" };

/** Apply one event envelope; false (and nothing changed) when its seq was applied already. */
export function applyEvent(state, event) {
  if (!(event.seq > state.lastSeq)) return false;
  state.lastSeq = event.seq;
  const data = event.data ?? {};
  const agent = event.agent_id ? state.agents[event.agent_id] : null;
  switch (event.type) {
    case "task_queued":
      state.queuedAt = event.ts;
      state.symbol = data.symbol ?? state.symbol;
      state.priority = data.priority ?? null;
      for (const card of Object.values(state.agents)) {
        if (card.stage === 1 && Array.isArray(data.agents) && !data.agents.includes(card.agentId)) card.state = "not_requested";
      }
      break;
    case "task_started":
      Object.assign(state, { status: "RUNNING", startedAt: event.ts, symbol: data.symbol, name: data.name ?? null,
        industry: data.industry ?? null, asOf: data.as_of, data: data.data ?? null });
      break;
    case "stage_started":
      if (state.stages[event.stage]) state.stages[event.stage].state = "running";
      break;
    case "stage_completed":
      if (state.stages[event.stage]) Object.assign(state.stages[event.stage], { state: "done", counts: data });
      break;
    case "agent_started":
      if (agent) Object.assign(agent, { state: "running", startedAt: event.ts });
      break;
    case "agent_completed":
    case "agent_failed":
      if (agent) {
        const result = data.result ?? null;
        const failed = event.type === "agent_failed" || result?.status === "failed";
        Object.assign(agent, {
          state: failed ? "failed" : result?.status ?? "succeeded", endedAt: event.ts, result,
          error: failed ? data.error ?? result?.error ?? null : null,
        });
      }
      break;
    case "progress":
      state.percent = Math.max(state.percent, data.percent ?? 0);
      break;
    case "log":
      state.logs.push({ seq: event.seq, ts: event.ts, agentId: event.agent_id ?? null, level: data.level ?? "info",
        message: data.message ?? "" });
      break;
    default:
      if (TERMINAL[event.type]) {
        Object.assign(state, { status: TERMINAL[event.type], endedAt: event.ts });
        if (event.type === "task_completed") {
          Object.assign(state, { percent: 100, decision: data.decision ?? null, degraded: Boolean(data.degraded),
            usage: data.usage ?? null, durationMs: data.duration_ms ?? null });
        } else state.error = data.error ?? data.reason ?? null;
        for (const card of Object.values(state.agents)) if (card.state === "running" || card.state === "pending") card.state = "skipped";
      }
  }
  return true;
}

export const isTerminal = (state) => ["SUCCEEDED", "FAILED", "CANCELLED"].includes(state.status);

/** The agents that failed (for the degraded marker), in roster order. */
export const failedAgents = (state) => Object.values(state.agents).filter((card) => card.state === "failed");

/** Seconds between two ISO timestamps (or until now when ``end`` is null). */
export function elapsedSeconds(start, end = null, now = Date.now()) {
  if (!start) return null;
  return Math.max(0, ((end ? Date.parse(end) : now) - Date.parse(start)) / 1000);
}

/** The usage of the whole analysis: the terminal event's sum, else the sum over the agents' results so far. */
export function totalUsage(state) {
  if (state.usage) return state.usage;
  const total = { llm_calls: 0, tokens_in: 0, tokens_out: 0, latency_ms: 0, cost_usd: 0 };
  for (const card of Object.values(state.agents)) {
    for (const key of Object.keys(total)) total[key] += card.result?.usage?.[key] ?? 0;
  }
  return total;
}
