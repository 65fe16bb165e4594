"""Provider libraries load only when configured (the AWS SDK rule is tests/unit/test_import_rule.py)."""

from __future__ import annotations

import subprocess
import sys


def test_llm_package_import_loads_no_provider_library() -> None:
    code = "import sys, investmind.llm; print(sorted(m for m in ('httpx', 'investmind.llm.openai', 'investmind.adapters.bedrock') if m in sys.modules))"  # noqa: E501

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout

    assert out.strip() == "[]"
