"""The host interpreter that runs a Lambda runtime (``python3.13`` → a Python 3.13 on this machine)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from functools import cache


class NoInterpreter(LookupError):
    """No interpreter on this machine runs the function's runtime."""


def _version_of(executable: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [executable, "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return None
    return int(out[0]), int(out[1])


@cache
def interpreter_for(runtime: str) -> str:
    """``HOST_LAMBDA_<RUNTIME>`` (e.g. ``HOST_LAMBDA_PYTHON3_13``) if set, else ``python3.13`` on PATH;
    either must really be that version (a pyenv shim for an inactive version is not)."""
    match = re.fullmatch(r"python(\d+)\.(\d+)", runtime or "")
    if not match:
        raise NoInterpreter(f"the host executor runs Python runtimes only, not {runtime!r}")
    wanted = (int(match[1]), int(match[2]))
    variable = f"HOST_LAMBDA_{runtime.upper().replace('.', '_')}"
    candidates = [os.environ[variable]] if os.environ.get(variable) else []
    candidates += [found] if (found := shutil.which(runtime)) else []
    for candidate in candidates:
        if _version_of(candidate) == wanted:
            return candidate
    raise NoInterpreter(
        f"no Python {wanted[0]}.{wanted[1]} for the {runtime} runtime: set {variable} to its interpreter "
        f"(tried {candidates or 'nothing'})"
    )
