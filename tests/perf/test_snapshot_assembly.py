"""Snapshot assembly with all parts at once against one after another (issue 3): run by `make bench`.

The providers are made slow by the benchmark-only ``INVESTMIND_SIMULATED_DATA_MS``: each part of
a snapshot then takes that long, as a network source would, on top of the real work on the bundled
data. Reported, never asserted: a benchmark on a shared machine says where things stand.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import statistics
import time

import pytest

from investmind.market import PART_NAMES, load_snapshot
from investmind.market.factory import build_market, config_from
from investmind.settings import get_settings

pytestmark = pytest.mark.perf

SIMULATED_DATA_MS = (50, 200)
RUNS = 7
RATIO_TARGET = 4.0
"""Eight parts: one after another costs 8 delays, all at once about 1, so the limit is near 8."""
AS_OF = dt.date(2023, 5, 31)


def _timed(concurrent: bool) -> float:
    config = dataclasses.replace(config_from(get_settings()), concurrent=concurrent)
    market = build_market(config)  # a fresh market each run: an empty cache, every part fetched
    started = time.perf_counter()
    snapshot = market.load_snapshot("600519.SH", AS_OF)
    elapsed = time.perf_counter() - started
    assert snapshot.as_of == AS_OF
    return elapsed


def test_snapshot_assembly_concurrent_against_sequential(monkeypatch, request) -> None:
    load_snapshot("600519.SH", AS_OF)  # the bundled files are parsed once per process: not timed
    rows, data = [], {}
    for delay_ms in SIMULATED_DATA_MS:
        monkeypatch.setenv("INVESTMIND_SIMULATED_DATA_MS", str(delay_ms))
        get_settings.cache_clear()
        sequential = [_timed(concurrent=False) for _ in range(RUNS)]
        concurrent = [_timed(concurrent=True) for _ in range(RUNS)]
        s, c = statistics.median(sequential), statistics.median(concurrent)
        rows.append([f"{delay_ms} ms", f"{s * 1000:.0f} ms", f"{c * 1000:.0f} ms", f"{s / c:.2f}x"])
        data[delay_ms] = {"sequential": sequential, "concurrent": concurrent}
        print(
            f"\nsnapshot assembly, {len(PART_NAMES)} parts at {delay_ms} ms each: one after another {s * 1000:.0f} ms, "
            f"all at once {c * 1000:.0f} ms (median of {RUNS}): ratio {s / c:.2f}x (target >= {RATIO_TARGET}x)"
        )
    get_settings.cache_clear()
    if "report" in request.fixturenames or _has_report(request):
        request.getfixturevalue("report").add(
            "snapshot_assembly",
            "Snapshot assembly: parts at once against one after another",
            ["delay per part", "one after another (median)", "all at once (median)", "ratio"],
            rows,
            f"{len(PART_NAMES)} parts of 600519.SH at {AS_OF}, bundled provider made slow by "
            f"INVESTMIND_SIMULATED_DATA_MS; median of {RUNS} runs, each on a fresh market (empty cache). "
            f"Target: ratio >= {RATIO_TARGET}x.",
            data,
        )


def _has_report(request: pytest.FixtureRequest) -> bool:
    try:
        request.getfixturevalue("report")
    except pytest.FixtureLookupError:
        return False
    return True
