// One analysis, live: the stream folded into state (analysisState.js) and drawn as pipeline, chart,
// decision, data provenance and log. Opened mid-run (a deep link, a reload) it replays the log from the
// start, so it catches up, then continues live; each event is applied once.

import { $, download, el, fmtDuration, fmtTime } from "./dom.js";
import { t } from "./i18n.js";
import { applyEvent, elapsedSeconds, failedAgents, isTerminal, newAnalysis } from "./analysisState.js";
import { openDrawer, renderPipeline, tickPipeline } from "./pipeline.js";
import { levelsOf, priceChart } from "./chart.js";
import { decisionCard, provenanceTable } from "./decision.js";
import { renderReport, toMarkdown } from "./report.js";

/** Seqs handed to the view by the stream client, in order: read by the browser tests (and handy when debugging). */
export const delivered = [];

export function showAnalysis(taskId, { client, roster, setConnection, showError }) {
  const state = newAnalysis(taskId, roster);
  let chart = null, chartLoading = false, drawn = 0, frame = 0, stopped = false;
  delivered.length = 0;
  $("log").replaceChildren();
  $("chart").replaceChildren();
  $("chart-note").hidden = true;
  $("run-error").hidden = true;

  const open = (agentId) => openDrawer(state.agents[agentId]);

  async function loadChart() {
    chartLoading = true;
    try {
      const page = await client.bars(taskId);
      if (stopped) return;
      chart = priceChart($("chart"), $("chart-legend"), page);
      $("chart").dataset.bars = String(page.bars.length);
      $("chart").dataset.asOf = page.as_of;
      render();
    } catch (error) {
      $("chart-note").textContent = error.message;
      $("chart-note").hidden = false;
    }
  }

  function renderHeader() {
    $("run-title").textContent = state.symbol ? `${state.symbol} ${state.name ?? ""}` : taskId.slice(0, 8);
    $("run-status").textContent = state.status;
    $("run-status").className = `pill ${state.status}`;
    $("run-degraded").hidden = !(state.degraded || failedAgents(state).length);
    $("run-degraded").textContent = t("degraded");
    const took = elapsedSeconds(state.queuedAt, state.endedAt);
    $("run-meta").textContent = [state.asOf && `${t("as_of")} ${state.asOf}`, state.industry, state.priority && t(state.priority),
      took !== null && `${t("elapsed")} ${fmtDuration(took)}`].filter(Boolean).join(" · ");
    $("cancel").hidden = isTerminal(state);
    $("progress-bar").style.width = `${state.percent}%`;
    $("progress-bar").parentElement.setAttribute("aria-valuenow", String(state.percent));
    $("view-analysis").dataset.status = state.status;
    $("view-analysis").dataset.lastSeq = String(state.lastSeq);
    if (state.status === "FAILED" || state.status === "CANCELLED") {
      $("run-error").textContent = `${state.status === "FAILED" ? t("failed_reason") : t("cancelled")}: ${state.error ?? ""}`;
      $("run-error").hidden = false;
    }
  }

  function renderLog() {
    const box = $("log");
    const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 30;
    for (const line of state.logs.slice(drawn)) {
      box.append(el("div", { className: line.level, dataset: { seq: String(line.seq) } },
        el("span", { className: "t", textContent: fmtTime(line.ts).slice(11) }),
        el("span", { className: "a", textContent: line.agentId ?? "-" }), line.message));
    }
    drawn = state.logs.length;
    if (atBottom) box.scrollTop = box.scrollHeight;
  }

  function render() {
    frame = 0;
    renderHeader();
    renderPipeline(state, open);
    $("decision").replaceChildren(...decisionCard(state));
    $("provenance").replaceChildren(provenanceTable(state.data));
    renderLog();
    if (state.asOf && !chart && !chartLoading) loadChart();
    if (chart) {
      const levels = levelsOf(state, chart.close);
      chart.levels(levels);
      $("chart").dataset.levels = String(levels.filter((level) => Number.isFinite(level.price)).length);
    }
    if ($("drawer").open && $("drawer").dataset.agent) openDrawer(state.agents[$("drawer").dataset.agent]);
  }
  const schedule = () => { frame ||= requestAnimationFrame(render); };

  const subscription = client.follow(taskId, {
    onEvent(event) {
      delivered.push(event.seq);
      if (applyEvent(state, event)) schedule();
    },
    onState: setConnection,
    onError: (error) => showError(new Error(`${t("conn_failed")}: ${error.message}`)),
  });
  const ticker = setInterval(() => !isTerminal(state) && tickPipeline(state), 1000);

  $("cancel").onclick = () => client.cancel(taskId).catch(showError);
  $("compare").onclick = () => { location.hash = `#/compare/${taskId}`; };
  const image = () => { try { return chart?.image() ?? null; } catch { return null; } };
  const fileName = (ext) => `investmind-${state.symbol ?? taskId}-${state.asOf ?? "latest"}.${ext}`;
  $("export-md").onclick = () => download(fileName("md"), toMarkdown(state, image()));
  $("export-pdf").onclick = () => { renderReport(state, image()); document.title = fileName("pdf"); window.print(); };
  window.onbeforeprint = () => renderReport(state, image());
  render();

  return {
    state,
    /** Fill the print report now (the browser tests print through the DevTools protocol, which fires no beforeprint). */
    prepareReport: () => renderReport(state, image()),
    close() {
      stopped = true;
      subscription.close();
      clearInterval(ticker);
      cancelAnimationFrame(frame);
      chart?.remove();
      window.onbeforeprint = null;
    },
  };
}
