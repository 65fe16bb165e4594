"""The console's JavaScript modules under Node's own test runner (tests/unit/js/*.test.mjs).

sseClient.js (exactly-once delivery across reconnects, close on the terminal event, backoff, the
stream token), analysisClient.js (URLs, Bearer, the error shape) and analysisState.js (the fold,
each event once) run with stand-ins for the browser's EventSource and fetch, which Node lacks;
tests/e2e runs the same modules in a real Chromium.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest

JS_TESTS = Path(__file__).resolve().parents[1] / "js"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_console_modules_pass_their_node_tests():
    files = sorted(str(path) for path in JS_TESTS.glob("*.test.mjs"))
    assert len(files) >= 3

    run = subprocess.run(["node", "--test", *files], capture_output=True, text=True, timeout=60, check=False)

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout and "# pass 0" not in run.stdout


def test_every_metric_the_analysts_report_has_a_unit_and_a_name_in_the_console():
    from investmind.analysts import analyze
    from investmind.market import load_snapshot
    from investmind.roster import AGENTS, STAGE1_IDS

    source = (Path(__file__).resolve().parents[3] / "functions/investmind/api/static/metrics.js").read_text()
    glossary = set(
        re.findall(
            r"\b([a-z][a-z0-9_]*): \[\"(?:price|frac|pct|pctile|x|score|conf|days|years|count|points|ratio)\"", source
        )
    )
    reported: set[str] = set()
    for symbol, as_of in (("601318.SH", dt.date(2020, 5, 29)), ("000001.SZ", dt.date(2024, 8, 30))):
        snapshot, upstream = load_snapshot(symbol, as_of), {}
        for spec in AGENTS:
            upstream[spec.agent_id] = analyze(spec.agent_id, snapshot, upstream, STAGE1_IDS)
            reported |= set(upstream[spec.agent_id].metrics)

    derived = {name for name in reported if name.endswith(("_score", "_confidence"))}  # the directors' inputs
    assert reported - derived - glossary == set()
