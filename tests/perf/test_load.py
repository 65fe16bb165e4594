"""Load (issue 11): 50 analyses at once, 4 SSE readers each, half of them disconnecting and resuming
mid-run with Last-Event-ID, agents made slow. The harness is the integration suite's (tests/load.py,
run there at 10 × 2); here its figures are reported, and what must hold under any load is asserted."""

from __future__ import annotations

import pytest

from tests.load import LoadReport, assert_sound

from .conftest import run_measure

pytestmark = [pytest.mark.perf, pytest.mark.timeout(3600)]
ANALYSES, READERS, SIMULATED_LLM_MS = 50, 4, 3000


def test_fifty_analyses_with_four_readers_each(report):
    result = LoadReport(**run_measure("load", timeout=3000, analyses=ANALYSES, readers=READERS,
                                      simulated_llm_ms=SIMULATED_LLM_MS))  # fmt: skip
    print(f"\nload {ANALYSES} x {READERS} (L = {SIMULATED_LLM_MS} ms): {result.text()}")  # noqa: T201 - the bench's report
    report.add(
        "load",
        f"7. Load: {ANALYSES} analyses at once, {READERS} SSE readers each (L = {SIMULATED_LLM_MS / 1000:g} s)",
        ["submitted", "completed", "events expected", "delivered", "lost", "duplicated",
         "GET behind the log at the terminal event", "GET answer: median / worst", "analysis median", "wall"],
        [[result.submitted, result.completed, result.events_expected, result.events_delivered, result.events_lost,
          result.events_duplicated, f"{result.worst_projection_lag_events} events (worst)",
          f"{result.median_projection_lag_s:.2f} s / {result.worst_projection_lag_s:.2f} s",
          f"{result.median_analysis_s:.1f} s", f"{result.wall_s:.0f} s"]],
        f"Half the readers disconnect after their first agent result and resume with Last-Event-ID "
        f"({result.readers_resumed} of {result.readers}). GET folds what the stream has not folded yet, so the "
        "task a reader GETs on the terminal event holds the whole log (0 events behind, asserted); the answer "
        "time is how long that GET took on the loaded runtime (polled every 0.25 s until it shows the log's end).",
        result.as_dict(),
    )  # fmt: skip
    assert_sound(result, ANALYSES, READERS)
