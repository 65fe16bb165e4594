# InvestMind: `make demo` (the main job on the embedded runtime), `make run`, `make test`, `make bench`.
# Every target sets itself up: a pinned uv in .tools/, then .venv/ synced from uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: setup demo run test lint bench asl requirements clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra local --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced

demo: setup
	$(PY) -m infra demo 600519

run: setup
	$(PY) -m infra serve

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/cfn-lint template.yaml
	$(VENV)/bin/sam validate --lint

test: lint
	$(PY) -m pytest

bench: setup
	$(PY) -m pytest -m perf tests/perf -s

# Regenerate derived files: the state machine from the roster, the Lambda requirements from the lock.
asl: setup
	$(PY) -m infra.asl

requirements: $(UV)
	$(UV) export --frozen --no-dev --no-emit-project --no-hashes --format requirements-txt -o functions/requirements.txt

clean:
	rm -rf .venv .tools .pytest_cache .ruff_cache
