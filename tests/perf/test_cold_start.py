"""Every Lambda handler's cold-start import, each in fresh interpreters (issue 9: import only what the path needs).

Run by `make bench`. The handlers come from template.yaml (`Handler:` of every function), so a new
function is measured without an edit here. Targets are reported against, never asserted.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

import pytest

from infra.template import Template

from .conftest import ROOT

pytestmark = pytest.mark.perf

HANDLER_IMPORT_TARGET_S = 1.0
"""Every handler but the agents' (whose quant path needs pandas and ta) on this machine."""
RUNS = 5
HEAVY = ("pandas", "numpy", "ta", "fastapi", "mangum", "boto3", "aiobotocore", "httpx", "pydantic")
_PROBE = (
    "import json, sys, time; t = time.perf_counter(); import {module}; elapsed = time.perf_counter() - t; "
    "print(json.dumps([elapsed, sorted({{m.split('.')[0] for m in sys.modules}} & set({heavy!r}))]))"
)


def _handler_modules() -> dict[str, str]:
    """Function logical id → handler module, one entry per distinct module (the ten agents share one)."""
    modules: dict[str, str] = {}
    for name, resource in Template.load().resources.items():
        if resource.get("Type") == "AWS::Serverless::Function":
            module = resource["Properties"]["Handler"].rsplit(".", 1)[0]
            modules.setdefault(module, name if "Agent" not in name else "the ten agent functions")
    return {owner: module for module, owner in modules.items()}


def _measure(module: str) -> tuple[float, list[str]]:
    code = _PROBE.format(module=module, heavy=HEAVY)
    command = [sys.executable, "-c", code]
    runs = [
        json.loads(subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout)
        for _ in range(RUNS)
    ]
    return statistics.median(seconds for seconds, _ in runs), runs[0][1]


def test_every_handler_cold_import_time(report) -> None:
    rows, data = [], {}
    for owner, module in sorted(_handler_modules().items()):
        seconds, loaded = _measure(module)
        agent = module.endswith(".agent")
        met = "agents: see below" if agent else ("yes" if seconds <= HANDLER_IMPORT_TARGET_S else "no")
        rows.append([owner, module, f"{seconds:.3f}", ", ".join(loaded), met])
        data[module] = {"median_s": seconds, "loads": loaded}
        print(f"{owner:<28} {module:<42} {seconds:.3f} s  {', '.join(loaded)}")
    report.add(
        "cold_start",
        "Cold start: every handler's import",
        ["function", "handler module", "median s", "heavy libraries loaded", f"≤ {HANDLER_IMPORT_TARGET_S:g} s"],
        rows,
        notes=(
            f"Median of {RUNS} fresh interpreters per handler module (`python -c 'import …'`), read from the "
            f"template's `Handler:` entries; the heavy libraries column shows what each path pulls in. Target: "
            f"≤ {HANDLER_IMPORT_TARGET_S:g} s for every handler but the agents' (docs/performance.md)."
        ),
        data=data,
    )
