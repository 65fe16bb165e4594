"""`make build LAMBDA_EXTRAS=providers`: the network providers' extra resolves to python3.13/arm64 wheels.

Offline, against uv.lock, with the Makefile's own requirement script: every package of the extra has a
wheel Lambda's arm64 runs, or is a pure-Python sdist the Makefile builds, except akshare's V8 binding
``py-mini-racer`` (an x86_64 wheel only), which the build leaves out on arm64 because akracer, also an
akshare dependency on Linux, ships the same ``py_mini_racer`` module with an aarch64 library.
docs/analysis.md has the measured package (``make lambda-package LAMBDA_EXTRAS=providers``).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from .test_build import LAMBDA_TAGS, MAKEFILE, ROOT, UV, _locked, _make_variable, _pin


def _script() -> str:
    start = MAKEFILE.index("define REQUIREMENTS_FOR_LAMBDA\n") + len("define REQUIREMENTS_FOR_LAMBDA\n")
    return MAKEFILE[start : MAKEFILE.index("endef", start)]


def _providers_for(arch: str) -> list[Requirement]:
    if not UV.exists():
        pytest.skip("needs the pinned uv in .tools/ (any make target installs it)")
    exported = subprocess.run(
        [UV, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes", "--extra", "providers"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    resolved = subprocess.run(
        [sys.executable, "-c", _script()], input=exported, capture_output=True, text=True, check=True,
        env={**os.environ, "LAMBDA_ARCH": arch},
    ).stdout  # fmt: skip
    return [Requirement(line) for line in resolved.splitlines()]


def _wheels(requirement: Requirement) -> list[str]:
    package = _locked(requirement.name, _pin(requirement))
    return [w["url"].rsplit("/", 1)[-1] for w in package.get("wheels", [])]


def test_the_providers_extra_has_an_arm64_wheel_or_a_pure_python_sdist_for_every_package():
    sdist_only = {
        *_make_variable("LAMBDA_SDIST_ONLY").split("|"),
        *_make_variable("LAMBDA_EXTRAS_SDIST_ONLY").split("|"),
    }
    requirements = _providers_for("aarch64")
    names = {canonicalize_name(r.name) for r in requirements}

    assert {"akshare", "baostock", "tushare", "akracer"} <= names
    without_wheel = set()
    for requirement in requirements:
        wheels = _wheels(requirement)
        if not wheels:
            without_wheel.add(requirement.name)
            continue
        assert any(parse_wheel_filename(w)[3] & LAMBDA_TAGS for w in wheels), f"{requirement}: {wheels}"
    assert without_wheel == sdist_only


def test_py_mini_racer_is_left_out_on_arm64_only_where_akracer_supplies_its_module():
    arm = {canonicalize_name(r.name) for r in _providers_for("aarch64")}
    x86 = {canonicalize_name(r.name) for r in _providers_for("x86_64")}
    (py_mini_racer,) = [r for r in _providers_for("x86_64") if canonicalize_name(r.name) == "py-mini-racer"]

    assert "py-mini-racer" not in arm and "py-mini-racer" in x86 and "akracer" in arm
    # its only wheel is for x86_64: on arm64 pip would have nothing to install
    assert all("x86_64" in w for w in _wheels(py_mini_racer))
    (akracer,) = [r for r in _providers_for("aarch64") if canonicalize_name(r.name) == "akracer"]
    assert all(w.endswith("-py3-none-any.whl") for w in _wheels(akracer))  # it carries the aarch64 .so inside
