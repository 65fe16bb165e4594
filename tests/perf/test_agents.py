"""Per-agent quant-core time on the bundled data, and the agent handler's cold-start import time (issue 4).

Run by `make bench`. Targets are stated and reported against, never asserted: a shared machine is noisy.
"""

from __future__ import annotations

import datetime as dt
import statistics
import subprocess
import sys
import time

import pytest

from investmind.analysts import analyze
from investmind.market import load_snapshot
from investmind.roster import AGENTS, STAGE1_IDS

from .conftest import ROOT

pytestmark = pytest.mark.perf

AGENT_QUANT_TARGET_MS = 250.0
"""Per agent, median: the quant core should be noise next to an LLM call (seconds)."""
HANDLER_IMPORT_TARGET_S = 3.0
"""Cold start of the agent Lambda's module (pandas, ta, boto3, pydantic) on this machine."""
SAMPLES = [
    ("600519.SH", dt.date(2021, 2, 10)),
    ("600519.SH", dt.date(2022, 10, 31)),
    ("300750.SZ", dt.date(2021, 12, 2)),
    ("300750.SZ", dt.date(2022, 4, 26)),
    ("000338.SZ", dt.date(2018, 6, 1)),
    ("600519.SH", None),
]
REPEATS = 7
IMPORT_RUNS = 5
_IMPORT = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"


def _median_ms(fn) -> float:
    times = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def _import_s(module: str, before: str = "") -> float:
    """Median import time of ``module`` in fresh interpreters (``before`` imported first, untimed)."""
    code = (f"import {before}; " if before else "") + _IMPORT.format(module=module)
    runs = [
        float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
        for _ in range(IMPORT_RUNS)
    ]
    return statistics.median(runs)


def test_agent_quant_core_time_per_agent(report) -> None:
    per_agent: dict[str, list[float]] = {a.agent_id: [] for a in AGENTS}
    loads = []
    for symbol, as_of in SAMPLES:
        loads.append(_median_ms(lambda s=symbol, d=as_of: load_snapshot(s, d)))
        snapshot = load_snapshot(symbol, as_of)
        upstream = {}
        for spec in AGENTS:  # stage order: each agent sees its real upstream results
            try:
                upstream[spec.agent_id] = analyze(spec.agent_id, snapshot, dict(upstream), STAGE1_IDS)
            except Exception:  # noqa: BLE001 - an agent without data for this date is not timed
                continue
            per_agent[spec.agent_id].append(
                _median_ms(lambda a=spec.agent_id, s=snapshot, u=dict(upstream): analyze(a, s, u, STAGE1_IDS))
            )
    rows = [
        [agent_id, f"{statistics.median(ms):.1f}", f"{max(ms):.1f}", len(ms)]
        for agent_id, ms in per_agent.items()
        if ms
    ]
    rows.append(["load_snapshot (warm)", f"{statistics.median(loads):.1f}", f"{max(loads):.1f}", len(loads)])
    for row in rows:
        print(f"{row[0]:<26} median {row[1]:>7} ms  max {row[2]:>7} ms  ({row[3]} snapshots)")
    report.add(
        "agents",
        "Agents: quant-core time per agent",
        ["agent", "median ms", "max ms", "snapshots"],
        rows,
        notes=(
            f"Median of {REPEATS} runs per snapshot, then the median over {len(SAMPLES)} snapshots (the bundled "
            f"data, 2018-2025); target under {AGENT_QUANT_TARGET_MS:g} ms per agent. In-process, warm caches."
        ),
        data={a: ms for a, ms in per_agent.items()},
    )


def test_agent_handler_cold_import_time(report) -> None:
    handler = _import_s("investmind.handlers.agent")
    llm_openai = _import_s("investmind.llm.refine, investmind.llm.openai", before="investmind.handlers.agent")
    llm_bedrock = _import_s("investmind.llm.refine, investmind.adapters.bedrock", before="investmind.handlers.agent")
    rows = [
        ["investmind.handlers.agent", f"{handler:.3f}"],
        ["+ LLM step, openai (first use)", f"{llm_openai:.3f}"],
        ["+ LLM step, bedrock (first use)", f"{llm_bedrock:.3f}"],
    ]
    for name, seconds in rows:
        print(f"{name:<34} {seconds} s")
    report.add(
        "agent_import",
        "Agents: cold-start import time",
        ["module", "median s"],
        rows,
        notes=(
            f"Median of {IMPORT_RUNS} fresh interpreters (`python -c 'import …'`); target under "
            f"{HANDLER_IMPORT_TARGET_S:g} s for the handler. The LLM modules load only when an agent is "
            "configured to use them."
        ),
        data={"handler_s": handler, "llm_openai_s": llm_openai, "llm_bedrock_s": llm_bedrock},
    )
