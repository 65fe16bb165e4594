"""The import rule (docs/architecture.md, "Layout"): only ``adapters`` and ``composition`` load an AWS SDK.

Each module is imported in a fresh interpreter state — a child forked from a parent that has loaded
nothing of ``investmind`` — and that child's ``sys.modules`` is checked, so a module that pulls in boto3
through any chain of imports (not only its own import lines) fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "functions" / "investmind"
SDKS = ("boto3", "botocore", "aiobotocore", "aioboto3")
# Where AWS code may live: the adapters, the composition roots that build them, and the handlers (entry
# points that call a composition root).
ALLOWED = ("investmind.adapters", "investmind.composition", "investmind.handlers")

_CHILD = r"""
import json, os, sys
SDKS = tuple(sys.argv[1].split(","))
# Third-party libraries the domain uses, loaded once before forking so that each child only imports
# investmind itself; none of them may bring an SDK along (checked first).
import numpy, pandas, pydantic, pydantic_settings, ta  # noqa: F401
assert not [m for m in sys.modules if m.split(".")[0] in SDKS], "a third-party preload loaded an AWS SDK"
# The modules nearly everything imports: checked here, before any child, and kept for the children.
import investmind.errors, investmind.models, investmind.roster, investmind.settings  # noqa: E401, F401
assert not [m for m in sys.modules if m.split(".")[0] in SDKS], "a core module loaded an AWS SDK"
report = {}
for name in sys.argv[2:]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            __import__(name)
            loaded = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in SDKS})
            via = sorted(m for m in sys.modules if m.startswith("investmind.adapters"))
            out = {"sdks": loaded, "adapters": via}
        except Exception as exc:
            out = {"error": repr(exc)}
        os.write(write, json.dumps(out).encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.waitpid(pid, 0)
    report[name] = json.loads(b"".join(chunks))
print(json.dumps(report))
"""


def _modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("investmind", *path.relative_to(PACKAGE).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if not name.startswith(ALLOWED):
            names.append(name)
    return names


@pytest.mark.skipif(sys.platform == "win32", reason="needs os.fork")
def test_no_domain_module_loads_an_aws_sdk() -> None:
    modules = _modules()
    assert "investmind.services.pipeline" in modules and "investmind.analysts.technical" in modules

    run = subprocess.run(
        [sys.executable, "-c", _CHILD, ",".join(SDKS), *modules], capture_output=True, text=True, check=True
    )
    report = json.loads(run.stdout)

    errors = {name: r["error"] for name, r in report.items() if "error" in r}
    offenders = {name: r for name, r in report.items() if r.get("sdks") or r.get("adapters")}
    assert errors == {}
    assert offenders == {}, f"domain modules that load an AWS SDK or an adapter: {offenders}"


def test_the_rule_catches_an_adapter() -> None:
    # The check itself can fail: an adapter module, run through the same child, is reported.
    run = subprocess.run(
        [sys.executable, "-c", _CHILD, ",".join(SDKS), "investmind.adapters.dynamodb"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(run.stdout)["investmind.adapters.dynamodb"]["sdks"] == ["boto3", "botocore"]
