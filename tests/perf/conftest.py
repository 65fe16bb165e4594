"""The benchmark report: each benchmark adds a section; the session writes docs/benchmarks.{md,json}."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def run_measure(measure: str, timeout: float = 900, **kwargs: Any) -> Any:
    """One measure of ``tests/perf/harness.py`` in a fresh process (its own runtime, CPU and memory)."""
    completed = subprocess.run(
        [sys.executable, "-m", "tests.perf.harness", measure, json.dumps(kwargs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"},
    )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("RESULT ")]
    if completed.returncode != 0 or not lines:
        raise AssertionError(f"{measure} failed:\n{completed.stderr[-4000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


class Report:
    def __init__(self) -> None:
        self.sections: dict[str, dict[str, Any]] = {}

    def add(
        self, key: str, title: str, header: list[str], rows: list[list[Any]], notes: str = "", data: Any = None
    ) -> None:
        self.sections[key] = {"title": title, "header": header, "rows": rows, "notes": notes, "data": data,
                              "measured": f"on {_now()}"}  # fmt: skip

    def write(self) -> None:
        machine = {
            "cpus": os.cpu_count(),
            "cpu_model": _cpu_model(),
            "python": platform.python_version(),
            "date": _now(),
        }
        previous = json.loads((DOCS / "benchmarks.json").read_text()) if (DOCS / "benchmarks.json").exists() else {}
        # A run of some benchmarks keeps the others' figures; each section says when its own were measured
        # (one written before sections carried their date: on or before the previous report's).
        earlier = f"on or before {previous.get('machine', {}).get('date', 'an earlier run')}"
        kept = {key: {"measured": earlier, **section} for key, section in previous.get("sections", {}).items()}
        sections = {**kept, **self.sections}
        (DOCS / "benchmarks.json").write_text(json.dumps({"machine": machine, "sections": sections}, indent=2) + "\n")
        lines = [
            "# Benchmarks",
            "",
            f"Written by `make bench`, last on {machine['date']}: {machine['cpus']} CPUs ({machine['cpu_model']}), "
            f"Python {machine['python']}, the embedded runtime (moto server, in-process Lambdas) on loopback. "
            "The machine is shared and noisy: figures are medians and percentiles over repeated runs. Agents are "
            "made slow by `INVESTMIND_SIMULATED_LLM_MS` (L), which simulates an LLM call's wait on top of the real "
            "quant work; no real LLM is called. The raw numbers are in `benchmarks.json`.",
            "",
        ]
        for section in sorted(sections.values(), key=lambda section: section["title"]):
            lines += [f"## {section['title']}", "", f"_Measured {section['measured']}._", ""]
            lines.append("| " + " | ".join(section["header"]) + " |")
            lines.append("|" + "---|" * len(section["header"]))
            lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in section["rows"]]
            if section["notes"]:
                lines += ["", section["notes"]]
            lines.append("")
        (DOCS / "benchmarks.md").write_text("\n".join(lines))


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e-3 else f"{value:,.3f}".rstrip("0").rstrip(".")
    return str(value)


@pytest.fixture(scope="session")
def report() -> Iterator[Report]:
    collected = Report()
    yield collected
    if collected.sections:
        collected.write()
