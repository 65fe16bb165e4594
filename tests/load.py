"""The load run, shared by the integration suite (10 analyses × 2 readers) and the benchmark (50 × 4).

Many analyses at once, several real SSE readers each; half of each task's readers disconnect
mid-run and resume with ``Last-Event-ID``. Each reader reads the task (GET) the moment it has the
terminal event; the first reader of each task then watches the projection catch up with the log.
At the end every reader's events are compared with the task's log.
"""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import httpx

from tests.integration.sse import TERMINAL, Follower

QUOTAS = {
    "INVESTMIND_MAX_ACTIVE_PER_OWNER": "1000",
    "INVESTMIND_MAX_DAILY_PER_OWNER": "10000",
    "INVESTMIND_MAX_STREAMS_PER_OWNER": "1000",
}
"""A runtime's quotas when one owner (the tests' admin key) drives it with many analyses and readers at once."""

# Bundled symbols (functions/investmind/market/data/selection_61.csv.gz) that no rule of the integration
# suite's fault plan names: a load run there must meet healthy analyses only.
SYMBOLS = (
    "600519", "000001", "600036", "601398", "601166", "600000", "601628", "601601", "600030", "300059",
    "601688", "000568", "603288", "002594", "300014", "600438", "300274", "603501", "002371", "002049",
    "603986", "603259", "300760", "300015", "600436", "000002", "600048", "000063", "600050", "000651",
)  # fmt: skip


@dataclass
class ReaderOutcome:
    task_id: str
    events: list[dict]
    status_on_terminal: str  # what GET said the moment this reader had the terminal event
    lag_events_on_terminal: int  # how far the projection's fold was behind the log then
    dropped: int
    connections: int


@dataclass
class LoadReport:
    submitted: int
    completed: int
    readers: int
    readers_resumed: int  # readers that disconnected mid-run and resumed with Last-Event-ID
    events_expected: int
    events_delivered: int
    events_lost: int
    events_duplicated: int
    readers_out_of_order: int
    reads_not_terminal: int  # GETs that did not show the terminal status at the terminal event
    worst_projection_lag_events: int
    worst_projection_lag_s: float  # terminal event in hand → GET's projection folded up to it
    median_projection_lag_s: float
    median_analysis_s: float  # submit → the first reader's terminal event
    wall_s: float
    statuses: dict[str, int] = field(default_factory=dict)

    def text(self) -> str:
        return (
            f"submitted {self.submitted}, completed {self.completed} ({self.statuses}), readers {self.readers} "
            f"({self.readers_resumed} resumed mid-run); "
            f"events expected {self.events_expected}, delivered {self.events_delivered}, lost {self.events_lost}, "
            f"duplicated {self.events_duplicated}; readers out of order {self.readers_out_of_order}; GETs not "
            f"terminal at the terminal event {self.reads_not_terminal}; worst projection lag "
            f"{self.worst_projection_lag_events} events, {self.worst_projection_lag_s:.2f} s (median "
            f"{self.median_projection_lag_s:.2f} s); analysis median {self.median_analysis_s:.1f} s; "
            f"wall {self.wall_s:.1f} s"
        )

    def as_dict(self) -> dict:
        return asdict(self)


def _submit(client: httpx.Client, symbol: str) -> str:
    response = client.post("/v1/analyses", json={"symbol": symbol})
    assert response.status_code == 202, response.text
    return response.json()["task_id"]


def _read(client: httpx.Client, task_id: str, resumes: bool, timeout: float) -> ReaderOutcome:
    # A resuming reader disconnects after its first agent's result, mid-run, and comes back at once.
    drop_when = (lambda e: e["type"] == "agent_completed") if resumes else None
    follower = Follower(client, task_id, drop_when=drop_when)
    events = follower.follow(timeout=timeout)
    task = client.get(f"/v1/analyses/{task_id}").json()
    return ReaderOutcome(
        task_id, events, task["status"], task["ended_seq"] - task["applied_seq"], follower.dropped, follower.connections
    )


def _projection_lag(client: httpx.Client, task_id: str, terminal_seq: int, timeout: float) -> float:
    """Seconds until GET's projection has folded up to the terminal event (polled: there is no event for it)."""
    began = time.monotonic()
    while client.get(f"/v1/analyses/{task_id}").json()["applied_seq"] < terminal_seq:
        if time.monotonic() - began > timeout:
            return float("inf")
        time.sleep(0.25)  # the measurement's resolution; finer would load the API it measures
    return time.monotonic() - began


def _task_run(api_url: str, headers: dict[str, str], symbol: str, readers: int, timeout: float, submitted: list):
    """Submit one analysis and follow it with ``readers`` readers: (its readers' outcomes, its lag, its log)."""
    # Generous timeouts: under load a loaded machine answers slowly; an answer that never comes still fails.
    with httpx.Client(base_url=api_url, headers=headers, timeout=timeout) as client:
        began = time.monotonic()
        task_id = _submit(client, symbol)
        submitted.append(task_id)
        with ThreadPoolExecutor(readers) as pool:
            reading = [pool.submit(_read, client, task_id, i < readers // 2, timeout) for i in range(readers)]
            first = reading[0].result()
            duration_s = time.monotonic() - began
            lag_s = _projection_lag(client, task_id, first.events[-1]["seq"], timeout=timeout)
            outcomes = [first, *(r.result() for r in reading[1:])]
        log = client.get(f"/v1/analyses/{task_id}/events", params={"after": 0, "limit": 1000}).json()["events"]
        return outcomes, lag_s, log, duration_s


def run_load(api_url: str, headers: dict[str, str], analyses: int, readers: int, timeout: float = 600) -> LoadReport:
    """``analyses`` analyses submitted at once, ``readers`` readers each; the report of what they got."""
    began = time.monotonic()
    submitted: list[str] = []
    start = threading.Barrier(analyses)

    def one(index: int):
        start.wait()  # submitted together, not one after another
        return _task_run(api_url, headers, SYMBOLS[index % len(SYMBOLS)], readers, timeout, submitted)

    with ThreadPoolExecutor(analyses) as pool:
        runs = list(pool.map(one, range(analyses)))
    return _report(runs, len(submitted), readers, time.monotonic() - began)


def _report(runs: list, submitted: int, readers: int, wall_s: float) -> LoadReport:
    expected = delivered = lost = duplicated = out_of_order = not_terminal = worst_events = 0
    statuses: dict[str, int] = {}
    for outcomes, _, log, _ in runs:
        statuses[log[-1]["type"]] = statuses.get(log[-1]["type"], 0) + 1
        for outcome in outcomes:
            seqs = [e["seq"] for e in outcome.events]
            expected += len(log)
            delivered += len(seqs)
            lost += len({e["seq"] for e in log} - set(seqs))
            duplicated += len(seqs) - len(set(seqs))
            out_of_order += seqs != sorted(seqs) or outcome.events != [e for e in log if e["seq"] in set(seqs)]
            not_terminal += outcome.status_on_terminal in ("QUEUED", "RUNNING")
            worst_events = max(worst_events, outcome.lag_events_on_terminal)
    return LoadReport(
        submitted=submitted,
        completed=sum(log[-1]["type"] in TERMINAL for _, _, log, _ in runs),
        readers=sum(len(outcomes) for outcomes, *_ in runs),
        readers_resumed=sum(outcome.dropped for outcomes, *_ in runs for outcome in outcomes),
        events_expected=expected,
        events_delivered=delivered,
        events_lost=lost,
        events_duplicated=duplicated,
        readers_out_of_order=out_of_order,
        reads_not_terminal=not_terminal,
        worst_projection_lag_events=worst_events,
        worst_projection_lag_s=max((lag for _, lag, *_ in runs), default=0.0),
        median_projection_lag_s=statistics.median(lag for _, lag, *_ in runs),
        median_analysis_s=statistics.median(duration for *_, duration in runs),
        wall_s=wall_s,
        statuses=statuses,
    )


def assert_sound(report: LoadReport, analyses: int, readers: int) -> None:
    """What must hold whatever the load: every analysis ends, every reader gets every event once, in order,
    and reads its task terminal, with all of its log folded, at once."""
    assert report.submitted == report.completed == analyses, report.text()
    assert report.statuses == {"task_completed": analyses}, report.text()
    assert report.readers == analyses * readers, report.text()
    assert report.readers_resumed == analyses * (readers // 2), report.text()
    assert report.events_lost == report.events_duplicated == report.readers_out_of_order == 0, report.text()
    assert report.events_delivered == report.events_expected, report.text()
    assert report.reads_not_terminal == 0, report.text()
    # GET folds what the stream has not yet (invariant 8): at the terminal event it shows the whole log.
    assert report.worst_projection_lag_events == 0, report.text()
