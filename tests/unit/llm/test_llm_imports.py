"""Where boto3 and httpx may be imported: adapters only, and provider libraries only when configured."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[3] / "functions" / "investmind"


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("folder", ["analysts", "llm"])
def test_domain_modules_import_no_boto3(folder) -> None:
    offenders = [
        p.name
        for p in sorted((PACKAGE / folder).glob("*.py"))
        if {"boto3", "botocore"} & _imports(p) and p.name != "bedrock.py"
    ]

    assert offenders == []


def test_llm_package_import_loads_no_provider_library() -> None:
    code = "import sys, investmind.llm; print(sorted(m for m in ('httpx', 'investmind.llm.openai', 'investmind.adapters.bedrock') if m in sys.modules))"  # noqa: E501

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert out.strip() == "[]"
