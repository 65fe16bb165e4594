# InvestMind: `make demo` (the main job on the embedded runtime), `make run`, `make test`, `make bench`,
# `make build` (sam build), `make localstack-deploy` / `make test-localstack`.
# Every target sets itself up: a pinned uv in .tools/, then .venv/ synced from uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.9
ASL_VALIDATOR_VERSION := 4.0.0
UV := .tools/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: setup demo run test lint e2e-setup bench asl requirements clean build lambda-package localstack-check localstack-deploy test-localstack FORCE

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
	$(PY) -m infra.asl check
	@# A second, independent validator where Node.js is installed (not required: the check above is Python).
	@if command -v npx >/dev/null 2>&1; then \
		mkdir -p .aws-sam && $(PY) -c "$$ASL_WITH_DUMMY_ARNS" < orchestration/analysis.asl.json > .aws-sam/analysis.asl.json && \
		npx --yes asl-validator@$(ASL_VALIDATOR_VERSION) --json-path .aws-sam/analysis.asl.json; \
	else echo "npx not found: asl-validator skipped (infra.asl check ran)"; fi

test: lint e2e-setup
	$(PY) -m pytest

# The browser tests (tests/e2e) drive Debian's chromium; the PDF export needs CJK fonts. Installed here
# when root on Debian (quick once installed); elsewhere the browser tests skip and say why.
E2E_PACKAGES := chromium fonts-noto-cjk
e2e-setup:
	@if dpkg -s $(E2E_PACKAGES) >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing $(E2E_PACKAGES) for the browser tests"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(E2E_PACKAGES); } \
			|| echo "could not install $(E2E_PACKAGES): the browser tests will skip"; \
	else echo "$(E2E_PACKAGES) not installed and not root on Debian: the browser tests will skip"; fi

bench: setup
	$(PY) -m pytest -m perf tests/perf -s

# Regenerate derived files: the state machine and template.yaml's agent functions from the roster, the
# Lambda requirements from the lock.
asl: setup
	$(PY) -m infra.asl

requirements: $(UV)
	$(UV) export --frozen --no-dev --no-emit-project --no-hashes --format requirements-txt -o functions/requirements.txt

clean:
	rm -rf .venv .tools .pytest_cache .ruff_cache .aws-sam

# --- sam build without Docker or Python 3.13 (docs/architecture.md §8) ----------------------------------------------
# Every function says `BuildMethod: makefile`, so `sam build` runs `make build-<LogicalId>` here with
# ARTIFACTS_DIR set, once per function: SAM never shares a makefile build (aws-sam-cli#2790). All of
# them ship the same package, so it is built once into LAMBDA_PKG, under a lock because sam builds
# in parallel, and each build-*Function target only copies it.
# pip itself is pinned too: the pip of a Debian Python 3.11 (23.2) checks Requires-Python against the
# interpreter running it even with --python-version, and refuses numpy for 3.13.
PIP_VERSION := 26.3
LAMBDA_PKG := .aws-sam/lambda-package
LAMBDA_REQS := .aws-sam/lambda-requirements.txt
LAMBDA_WHEELS := .aws-sam/lambda-wheels
# python3.13 on Lambda runs on Amazon Linux 2023 (glibc 2.34), where manylinux2014 (glibc 2.17) up to
# manylinux_2_34 wheels run. pip matches each --platform literally, and numpy >= 2.3 and pandas 3 ship
# aarch64 wheels only as manylinux_2_28, so every glibc level is named.
LAMBDA_PLATFORMS := --platform manylinux2014_aarch64 $(foreach v,$(shell seq 17 34),--platform manylinux_2_$(v)_aarch64)
PIP := .tools/bin/pip --disable-pip-version-check --quiet
# Run-time packages published only as an sdist, as a regex alternation. Each must be pure Python (a
# wheel built on this machine runs on Lambda; checked below); tests/unit/test_build.py keeps the list
# equal to uv.lock's wheel-less run-time packages.
LAMBDA_SDIST_ONLY := ta
# The first build-* target builds the package and the others wait on this lock; the kernel releases
# it when its holder exits, so an interrupted build never leaves it stale.
LOCKED := $(PYTHON) -c 'import fcntl, subprocess, sys; lock = open(sys.argv[1], "a"); fcntl.flock(lock, fcntl.LOCK_EX); sys.exit(subprocess.call(sys.argv[2:]))' .aws-sam/lambda.lock

# pip evaluates requirement markers for the interpreter running it, never for --python-version
# (pypa/pip#11010): resolve the lock's markers for Lambda here so that pip gets plain pins.
define REQUIREMENTS_FOR_LAMBDA
import sys
from packaging.requirements import Requirement
LAMBDA = {"python_version": "3.13", "python_full_version": "3.13.0", "sys_platform": "linux", "os_name": "posix",
          "platform_system": "Linux", "platform_machine": "aarch64", "implementation_name": "cpython",
          "platform_python_implementation": "CPython"}
for line in sys.stdin:
    line = line.partition("#")[0].strip()
    if line:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(LAMBDA):
            requirement.marker = None
            print(requirement)
endef
export REQUIREMENTS_FOR_LAMBDA

# The ASL's $${...} placeholders are filled by DefinitionSubstitutions at deploy time: validate the
# definition with a function ARN in each.
define ASL_WITH_DUMMY_ARNS
import re, sys
arn = "arn:aws:lambda:us-east-1:123456789012:function:"
sys.stdout.write(re.sub(r"\$$\{(\w+)\}", lambda m: arn + m[1], sys.stdin.read()))
endef
export ASL_WITH_DUMMY_ARNS

.tools/.pip-$(PIP_VERSION): | $(UV)
	$(PIP) install pip==$(PIP_VERSION)
	@touch $@

# Optional extras shipped too, e.g. `make build LAMBDA_EXTRAS=providers`; by default exactly
# functions/requirements.txt. Rewritten only when it changes, so the dependencies are not reinstalled.
LAMBDA_EXTRAS ?=
$(LAMBDA_REQS): functions/requirements.txt FORCE | setup
	@mkdir -p $(@D)
	$(if $(LAMBDA_EXTRAS),$(UV) export --frozen --no-dev --no-emit-project --no-hashes $(addprefix --extra ,$(LAMBDA_EXTRAS)),cat $<) \
		| $(PY) -c "$$REQUIREMENTS_FOR_LAMBDA" > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

FORCE:

# Dependencies: rebuilt only when the requirements change. No test or dev dependency can enter:
# functions/requirements.txt is `uv export --no-dev` without extras, and --no-deps installs exactly it.
# Console scripts and numpy's and pandas' own test suites are never used at run time: dropped.
.aws-sam/lambda-deps.ok: $(LAMBDA_REQS) .tools/.pip-$(PIP_VERSION)
	rm -rf $(LAMBDA_PKG) $(LAMBDA_WHEELS) && mkdir -p $(LAMBDA_WHEELS)
	grep -iE '^($(LAMBDA_SDIST_ONLY))==' $(LAMBDA_REQS) > $(LAMBDA_WHEELS).txt || true
	if [ -s $(LAMBDA_WHEELS).txt ]; then $(PIP) wheel --no-deps --no-binary=:all: -w $(LAMBDA_WHEELS) -r $(LAMBDA_WHEELS).txt; fi
	@if ls $(LAMBDA_WHEELS) | grep -v -- '-py3-none-any\.whl$$'; then echo "^ not pure Python: cannot be built here for Lambda"; exit 1; fi
	$(PIP) install --root-user-action=ignore --no-deps --no-compile --target $(LAMBDA_PKG) --find-links $(LAMBDA_WHEELS) \
		--implementation cp --python-version 3.13 --only-binary=:all: $(LAMBDA_PLATFORMS) -r $(LAMBDA_REQS)
	@if find $(LAMBDA_PKG) -name '*.so' | grep -E 'x86_64|cpython-3(0|1[0-2])'; then echo "^ not for python3.13 on arm64"; exit 1; fi
	rm -rf $(LAMBDA_PKG)/bin $(LAMBDA_PKG)/pandas/tests
	find $(LAMBDA_PKG)/numpy -type d -name tests -prune -exec rm -rf {} +
	@touch $@

# The investmind package itself, refreshed when a source file changes.
.aws-sam/lambda-code.ok: .aws-sam/lambda-deps.ok $(shell find functions/investmind -type f ! -path '*/__pycache__/*')
	rm -rf $(LAMBDA_PKG)/investmind
	cp -R functions/investmind $(LAMBDA_PKG)/investmind
	find $(LAMBDA_PKG)/investmind -name __pycache__ -prune -exec rm -rf {} +
	@touch $@

lambda-package: .aws-sam/lambda-code.ok

# Hard links where the file system allows them: sixteen copies of one package need not take sixteen
# times the disk (SAM zips each folder alike, so `sam deploy` uploads the package once).
build-%Function:
	@test -n "$(ARTIFACTS_DIR)" || { echo "build-$*Function is run by sam build (ARTIFACTS_DIR)"; exit 1; }
	@mkdir -p .aws-sam
	@$(LOCKED) $(MAKE) --no-print-directory lambda-package
	cp -Rpl $(LAMBDA_PKG)/. "$(ARTIFACTS_DIR)" 2>/dev/null || cp -Rp $(LAMBDA_PKG)/. "$(ARTIFACTS_DIR)"

build: lambda-package
	$(VENV)/bin/sam build
	@$(PY) -c "import shutil, sys; shutil.make_archive(sys.argv[1], 'zip', sys.argv[2])" .aws-sam/lambda-package $(LAMBDA_PKG)
	@echo "Lambda package (one, shared by every function): $$(du -sh $(LAMBDA_PKG) | cut -f1) unpacked (limit 250M), $$(du -sh .aws-sam/lambda-package.zip | cut -f1) zipped; $$(ls -d $(LAMBDA_PKG)/*.dist-info | wc -l) distributions"

# --- LocalStack (docs/operations.md) ------------------------------------------------------------------
# LocalStack runs in Docker, outside this Makefile; LOCALSTACK_ENDPOINT says where it answers. samlocal
# (pinned; it wraps the sam of .venv) points sam's AWS clients there through AWS_ENDPOINT_URL.
LOCALSTACK_ENDPOINT ?= http://localhost:4566
SAMLOCAL_VERSION := 1.71.0
SAMLOCAL := DISABLE_DEPRECATION_NOTICE=1 AWS_ENDPOINT_URL=$(LOCALSTACK_ENDPOINT) \
	$(UV) run --no-sync --with aws-sam-cli-local==$(SAMLOCAL_VERSION) samlocal

localstack-check: setup
	@$(PY) -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/_localstack/health', timeout=3)" \
		$(LOCALSTACK_ENDPOINT) 2>/dev/null || { echo "no LocalStack answers at LOCALSTACK_ENDPOINT=$(LOCALSTACK_ENDPOINT) (docs/operations.md)"; exit 1; }

localstack-deploy: localstack-check build
	$(SAMLOCAL) deploy --config-env localstack

# The integration tests against the deployed stack's outputs; they skip, saying why, when no LocalStack answers.
test-localstack: setup
	AWS_SAM_STACK_NAME=investmind-localstack LOCALSTACK_ENDPOINT=$(LOCALSTACK_ENDPOINT) $(PY) -m pytest tests/integration -rs
