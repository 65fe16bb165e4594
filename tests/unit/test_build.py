"""The Lambda build (`make build`): its requirements follow the lock, exist as python3.13/arm64 wheels, and
every function is built by the Makefile (docs/architecture.md §8). Offline: the wheels are checked against uv.lock."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.tags import compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

from infra.template import Template

ROOT = Path(__file__).resolve().parents[2]
MAKEFILE = (ROOT / "Makefile").read_text()
REQUIREMENTS = ROOT / "functions" / "requirements.txt"
LOCK = tomllib.loads((ROOT / "uv.lock").read_text())
UV = ROOT / ".tools" / "bin" / "uv"
# Lambda's python3.13 runs on Amazon Linux 2023 (glibc 2.34): manylinux2014 (2.17) to manylinux_2_34.
LAMBDA_PLATFORMS = [f"manylinux_2_{minor}_aarch64" for minor in range(34, 16, -1)] + ["manylinux2014_aarch64"]
LAMBDA_TAGS = {
    *cpython_tags((3, 13), abis=["cp313", "abi3", "none"], platforms=LAMBDA_PLATFORMS),
    *compatible_tags((3, 13), "cp313", LAMBDA_PLATFORMS),
}


def _make_variable(name: str) -> str:
    match = re.search(rf"^{name} := (.*)$", MAKEFILE, re.MULTILINE)
    assert match, f"{name} is not set in the Makefile"
    return match.group(1)


def _lambda_requirements() -> list[Requirement]:
    """functions/requirements.txt resolved for Lambda by the Makefile's own script (pip cannot do it)."""
    script = re.search(r"^define REQUIREMENTS_FOR_LAMBDA\n(.*?)^endef$", MAKEFILE, re.MULTILINE | re.DOTALL)
    assert script, "REQUIREMENTS_FOR_LAMBDA is not defined in the Makefile"
    resolved = subprocess.run(
        [sys.executable, "-c", script.group(1)],
        input=REQUIREMENTS.read_text(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [Requirement(line) for line in resolved.splitlines()]


def _pin(requirement: Requirement) -> str:
    (spec,) = requirement.specifier
    assert spec.operator == "==", f"{requirement} is not pinned"
    return spec.version


def _locked(name: str, version: str) -> dict:
    found = [
        p
        for p in LOCK["package"]
        if canonicalize_name(p["name"]) == canonicalize_name(name) and p["version"] == version
    ]
    assert found, f"{name}=={version} is not in uv.lock"
    return found[0]


def test_requirements_txt_is_the_lock_exported_without_dev_dependencies(tmp_path):
    if not UV.exists():
        pytest.skip("needs the pinned uv in .tools/ (any make target installs it)")
    exported = tmp_path / "requirements.txt"
    subprocess.run(
        [UV, "export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes"]
        + ["--format", "requirements-txt", "-o", exported],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )

    def body(path: Path) -> list[str]:  # the header names the output file; the rest must match
        return [line for line in path.read_text().splitlines() if not line.startswith("#    uv export")]

    assert body(exported) == body(REQUIREMENTS), "functions/requirements.txt is stale: run `make requirements`"


def test_lambda_requirements_hold_no_test_dev_or_local_only_package():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = {canonicalize_name(Requirement(r).name) for r in pyproject["project"]["dependencies"]}
    not_shipped = {
        canonicalize_name(Requirement(r).name)
        for r in [*pyproject["dependency-groups"]["dev"], *pyproject["project"]["optional-dependencies"]["local"]]
    } - runtime
    shipped = {canonicalize_name(r.name) for r in _lambda_requirements()}
    assert {"pytest", "moto", "ruff", "aws-sam-cli", "uvicorn"} <= not_shipped
    assert not shipped & not_shipped
    assert runtime <= shipped


def test_lambda_requirements_resolve_the_lock_markers_for_python313_on_linux_arm64():
    pins = {canonicalize_name(r.name): _pin(r) for r in _lambda_requirements()}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.partition("#")[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        lambda_env = {"python_full_version": "3.13.0", "python_version": "3.13", "sys_platform": "linux"}
        applies = requirement.marker is None or requirement.marker.evaluate(lambda_env)
        name = canonicalize_name(requirement.name)
        assert (pins.get(name) == _pin(requirement)) == applies, line
    assert all(r.marker is None for r in _lambda_requirements())


def test_every_lambda_requirement_has_a_python313_arm64_wheel_or_is_a_known_pure_python_sdist():
    sdist_only = set(_make_variable("LAMBDA_SDIST_ONLY").split("|"))
    without_wheel = set()
    for requirement in _lambda_requirements():
        package = _locked(requirement.name, _pin(requirement))
        wheels = [w["url"].rsplit("/", 1)[-1] for w in package.get("wheels", [])]
        if not wheels:
            without_wheel.add(requirement.name)
            continue
        assert any(parse_wheel_filename(w)[3] & LAMBDA_TAGS for w in wheels), (
            f"{requirement} has no wheel for cp313 manylinux aarch64 (glibc <= 2.34): {wheels}"
        )
    assert without_wheel == sdist_only, "keep the Makefile's LAMBDA_SDIST_ONLY equal to the wheel-less packages"


def test_numpy_and_pandas_pins_for_lambda_ship_manylinux_2_28_aarch64_wheels():
    # pip takes --platform literally: these wheels exist only as manylinux_2_27/2_28 for aarch64.
    for requirement in _lambda_requirements():
        if requirement.name in ("numpy", "pandas"):
            wheels = [w["url"] for w in _locked(requirement.name, _pin(requirement))["wheels"]]
            assert any("cp313-cp313-manylinux" in w and "2_28_aarch64" in w for w in wheels), requirement


def test_pip_targets_python313_arm64_binaries_for_every_glibc_that_lambda_runs():
    pip_install = re.search(r"\$\(PIP\) install .*?-r \$\(LAMBDA_REQS\)", MAKEFILE, re.DOTALL)
    assert pip_install, "the Makefile no longer installs the Lambda requirements with pip"
    command = pip_install.group(0)
    for flag in ("--python-version 3.13", "--implementation cp", "--only-binary=:all:", "--no-deps", "--target"):
        assert flag in command
    assert "$(LAMBDA_PLATFORMS)" in command
    platforms = _make_variable("LAMBDA_PLATFORMS")
    assert "--platform manylinux2014_$(LAMBDA_ARCH)" in platforms and "$(shell seq 17 34)" in platforms
    # Lambda's architecture unless a host build (`make build-host`, for LocalStack) names this machine's.
    assert re.search(r"^LAMBDA_ARCH \?= aarch64$", MAKEFILE, re.MULTILINE)


def test_every_function_is_built_by_the_makefile_in_the_project_root():
    template = Template.load()
    functions = template.of_type("AWS::Serverless::Function")
    assert re.search(r"^build-%Function:", MAKEFILE, re.MULTILINE)
    for logical_id, resource in functions.items():
        assert logical_id.endswith("Function")
        build = {k: v for k, v in resource.get("Metadata", {}).items() if k != "checkov"}  # checkov: its skips
        assert build == {"BuildMethod": "makefile", "ContextPath": ".", "WorkingDirectory": "."}
        assert template.function_properties(logical_id)["CodeUri"] == "functions/"


def test_samconfig_has_default_prod_and_localstack_with_only_template_parameters():
    samconfig = tomllib.loads((ROOT / "samconfig.toml").read_text())
    parameters = set(Template.load().doc["Parameters"])
    assert samconfig["default"]["validate"]["parameters"]["lint"] is True
    stages = {}
    for env in ("default", "prod", "localstack"):
        overrides = samconfig[env]["deploy"]["parameters"]["parameter_overrides"]
        pairs = dict(re.findall(r'(\w+)="([^"]*)"', overrides))
        assert set(pairs) <= parameters, f"{env}: {set(pairs) - parameters}"
        stages[env] = pairs["Stage"]
        assert samconfig[env]["global"]["parameters"]["stack_name"].startswith("investmind-")
    assert stages == {"default": "dev", "prod": "prod", "localstack": "local"}


def test_every_library_the_lambda_code_imports_is_in_the_package():
    # Every module under CodeUri is Lambda code (the CLI lives outside it, in cli/).
    imported = set()
    for path in (ROOT / "functions" / "investmind").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"investmind"}
    distributions = importlib.metadata.packages_distributions()
    shipped = {canonicalize_name(r.name) for r in _lambda_requirements()}
    missing = {m for m in third_party if not {canonicalize_name(d) for d in distributions.get(m, [m])} & shipped}
    assert not missing, f"imported by the Lambda code but not in functions/requirements.txt: {sorted(missing)}"
