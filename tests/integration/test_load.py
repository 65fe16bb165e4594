"""A small load run in the suite (the benchmark runs 50 × 4: tests/perf/test_load.py): 10 analyses at
once, 2 SSE readers each, one of them disconnecting and resuming mid-run (shared harness: tests/load.py)."""

from __future__ import annotations

import pytest

from tests.load import assert_sound, run_load

# Ten analyses cost the one runtime process ~30 CPU seconds: on a shared 2-core machine the suite-wide
# 300 s per test can be too little; the run's own deadline (run_load's timeout) still bounds it.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
ANALYSES, READERS = 10, 2


def test_ten_analyses_at_once_each_reader_gets_every_event_once_and_reads_terminal_at_once(
    api, api_url, record_property
):
    report = run_load(api_url, dict(api.headers), ANALYSES, READERS, timeout=480)
    record_property("load", report.text())  # the figures themselves are the benchmark's to report
    assert_sound(report, ANALYSES, READERS)
