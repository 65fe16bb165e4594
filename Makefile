# InvestMind: `make demo` (the main job on the embedded runtime), `make run`, `make test`, `make bench`,
# `make build` (sam build), `make localstack-deploy` / `make test-localstack`.
# Every target sets itself up: a pinned uv in .tools/, then .venv/ synced from uv.lock.
PYTHON ?= python3
UV_VERSION := 0.13.9
ASL_VALIDATOR_VERSION := 4.0.0
UV := .tools/bin/uv
comma := ,
VENV := .venv
PY := $(VENV)/bin/python
export UV_PYTHON_DOWNLOADS := never
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

.PHONY: setup demo run test lint e2e-setup bench asl requirements clean build build-host lambda-package localstack-package localstack-up localstack-down localstack-check localstack-admin-key localstack-deploy test-localstack FORCE

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --extra local --python $(PYTHON)
	@touch $@

setup: $(VENV)/.synced

# checkov (pinned, with its whole tree hashed in infra/checkov-requirements.txt) lives in its own venv: in the
# project's lock it would pull boto3, aiobotocore and packaging back by years, and the Lambdas ship those.
# Regenerate the file with: echo checkov==$(CHECKOV_VERSION) | $(UV) pip compile - --python-version 3.11 --generate-hashes
CHECKOV_VERSION := 3.3.30
CHECKOV := .tools/checkov/bin/checkov
$(CHECKOV): infra/checkov-requirements.txt | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON) .tools/checkov
	$(UV) pip install --quiet --python .tools/checkov/bin/python --require-hashes -r $<
	@$@ --version | grep -qx '$(CHECKOV_VERSION)' || { echo "$< does not pin checkov $(CHECKOV_VERSION)"; exit 1; }
	@touch $@

demo: setup
	$(PY) -m infra demo 600519

run: setup
	$(PY) -m infra serve

lint: setup $(CHECKOV)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/cfn-lint template.yaml
	@# Every finding fixed or skipped in its resource's Metadata.checkov.skip with a reason (docs/security.md).
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation -f template.yaml
	$(VENV)/bin/sam validate --lint
	$(PY) -m infra.asl check
	@# A second, independent validator where Node.js is installed (not required: the check above is Python).
	@if command -v npx >/dev/null 2>&1; then \
		mkdir -p .aws-sam && $(PY) -c "$$ASL_WITH_DUMMY_ARNS" < orchestration/analysis.asl.json > .aws-sam/analysis.asl.json && \
		npx --yes asl-validator@$(ASL_VALIDATOR_VERSION) --json-path .aws-sam/analysis.asl.json; \
	else echo "npx not found: asl-validator skipped (infra.asl check ran)"; fi

# Two to four processes (one per core): the runtimes' tests wait on their pipelines, the unit tests on the CPU.
# --dist loadgroup keeps each xdist_group (the browser tests; a file with a runtime of its own) in one process.
test: lint e2e-setup
	$(PY) -m pytest -n auto --maxprocesses 4 --dist loadgroup --durations=15

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
# The architecture the package is built for: Lambda's (aarch64). `make build-host` builds it for this
# machine's instead (LocalStack's host executor runs the functions here, under python3.13), in its own
# directory so that neither build overwrites the other.
LAMBDA_ARCH ?= aarch64
export LAMBDA_ARCH
LAMBDA_OUT := .aws-sam$(if $(filter-out aarch64,$(LAMBDA_ARCH)),/$(LAMBDA_ARCH))
LAMBDA_PKG := $(LAMBDA_OUT)/lambda-package
LAMBDA_REQS := $(LAMBDA_OUT)/lambda-requirements.txt
LAMBDA_WHEELS := $(LAMBDA_OUT)/lambda-wheels
LAMBDA_FOREIGN_ARCH := $(if $(filter aarch64,$(LAMBDA_ARCH)),x86_64,aarch64)
# python3.13 on Lambda runs on Amazon Linux 2023 (glibc 2.34), where manylinux2014 (glibc 2.17) up to
# manylinux_2_34 wheels run. pip matches each --platform literally, and numpy >= 2.3 and pandas 3 ship
# aarch64 wheels only as manylinux_2_28, so every glibc level is named.
LAMBDA_PLATFORMS := --platform manylinux2014_$(LAMBDA_ARCH) $(foreach v,$(shell seq 17 34),--platform manylinux_2_$(v)_$(LAMBDA_ARCH))
PIP := .tools/bin/pip --disable-pip-version-check --quiet
# Run-time packages published only as an sdist, as a regex alternation. Each must be pure Python (a
# wheel built on this machine runs on Lambda; checked below); tests/unit/test_build.py keeps the list
# equal to uv.lock's wheel-less run-time packages.
LAMBDA_SDIST_ONLY := ta
# The same for the `providers` extra (LAMBDA_EXTRAS=providers): akshare's jsonpath.
LAMBDA_EXTRAS_SDIST_ONLY := jsonpath
# The first build-* target builds the package and the others wait on this lock; the kernel releases
# it when its holder exits, so an interrupted build never leaves it stale.
LOCKED := $(PYTHON) -c 'import fcntl, subprocess, sys; lock = open(sys.argv[1], "a"); fcntl.flock(lock, fcntl.LOCK_EX); sys.exit(subprocess.call(sys.argv[2:]))' $(LAMBDA_OUT)/lambda.lock

# pip evaluates requirement markers for the interpreter running it, never for --python-version
# (pypa/pip#11010): resolve the lock's markers for Lambda here so that pip gets plain pins.
define REQUIREMENTS_FOR_LAMBDA
import os, sys
from packaging.requirements import Requirement
LAMBDA = {"python_version": "3.13", "python_full_version": "3.13.0", "sys_platform": "linux", "os_name": "posix",
          "platform_system": "Linux", "platform_machine": os.environ.get("LAMBDA_ARCH", "aarch64"),
          "implementation_name": "cpython", "platform_python_implementation": "CPython"}
# akshare's V8 binding has an x86_64 wheel only; on arm64 akracer (akshare's other Linux dependency)
# installs the same py_mini_racer module with an aarch64 build of the library (docs/analysis.md).
NOT_ON_ARM64 = {"py-mini-racer"}
for line in sys.stdin:
    line = line.partition("#")[0].strip()
    if line:
        requirement = Requirement(line)
        if requirement.name in NOT_ON_ARM64 and LAMBDA["platform_machine"] == "aarch64":
            continue
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
# Console scripts, numpy's and pandas' own test suites and akracer's macOS library are never used at run time: dropped.
$(LAMBDA_OUT)/lambda-deps.ok: $(LAMBDA_REQS) .tools/.pip-$(PIP_VERSION)
	rm -rf $(LAMBDA_PKG) $(LAMBDA_WHEELS) && mkdir -p $(LAMBDA_WHEELS)
	grep -iE '^($(LAMBDA_SDIST_ONLY)$(if $(LAMBDA_EXTRAS),|$(LAMBDA_EXTRAS_SDIST_ONLY)))==' $(LAMBDA_REQS) > $(LAMBDA_WHEELS).txt || true
	if [ -s $(LAMBDA_WHEELS).txt ]; then $(PIP) wheel --no-deps --no-binary=:all: -w $(LAMBDA_WHEELS) -r $(LAMBDA_WHEELS).txt; fi
	@if ls $(LAMBDA_WHEELS) | grep -v -- '-py3-none-any\.whl$$'; then echo "^ not pure Python: cannot be built here for Lambda"; exit 1; fi
	$(PIP) install --root-user-action=ignore --no-deps --no-compile --target $(LAMBDA_PKG) --find-links $(LAMBDA_WHEELS) \
		--implementation cp --python-version 3.13 --only-binary=:all: $(LAMBDA_PLATFORMS) -r $(LAMBDA_REQS)
	@if find $(LAMBDA_PKG) -name '*.so' | grep -E '$(LAMBDA_FOREIGN_ARCH)|cpython-3(0|1[0-2])'; then echo "^ not for python3.13 on $(LAMBDA_ARCH)"; exit 1; fi
	rm -rf $(LAMBDA_PKG)/bin $(LAMBDA_PKG)/pandas/tests $(LAMBDA_PKG)/py_mini_racer/*.dylib
	find $(LAMBDA_PKG)/numpy -type d -name tests -prune -exec rm -rf {} +
	@touch $@

# The investmind package itself, refreshed when a source file changes.
$(LAMBDA_OUT)/lambda-code.ok: $(LAMBDA_OUT)/lambda-deps.ok $(shell find functions/investmind -type f ! -path '*/__pycache__/*')
	rm -rf $(LAMBDA_PKG)/investmind
	cp -R functions/investmind $(LAMBDA_PKG)/investmind
	find $(LAMBDA_PKG)/investmind -name __pycache__ -prune -exec rm -rf {} +
	@touch $@

lambda-package: $(LAMBDA_OUT)/lambda-code.ok

# Hard links where the file system allows them: sixteen copies of one package need not take sixteen
# times the disk (SAM zips each folder alike, so `sam deploy` uploads the package once).
build-%Function:
	@test -n "$(ARTIFACTS_DIR)" || { echo "build-$*Function is run by sam build (ARTIFACTS_DIR)"; exit 1; }
	@mkdir -p $(LAMBDA_OUT)
	@$(LOCKED) $(MAKE) --no-print-directory lambda-package
	cp -Rpl $(LAMBDA_PKG)/. "$(ARTIFACTS_DIR)" 2>/dev/null || cp -Rp $(LAMBDA_PKG)/. "$(ARTIFACTS_DIR)"

LAMBDA_ZIP = $(PY) -c "import shutil, sys; shutil.make_archive(sys.argv[1], 'zip', sys.argv[2])" $(LAMBDA_PKG) $(LAMBDA_PKG)
build: lambda-package
	$(VENV)/bin/sam build --build-dir $(LAMBDA_OUT)/build
	@# Zipped only to report its size against Lambda's limits (sam deploy zips each function itself).
	@$(if $(filter aarch64,$(LAMBDA_ARCH)),$(LAMBDA_ZIP))
	@echo "Lambda package (one, shared by every function): $$(du -sh $(LAMBDA_PKG) | cut -f1) unpacked (limit 250M)$(if $(filter aarch64,$(LAMBDA_ARCH)),$(comma) $$(du -sh $(LAMBDA_PKG).zip | cut -f1) zipped); $$(ls -d $(LAMBDA_PKG)/*.dist-info | wc -l) distributions, for $(LAMBDA_ARCH)"

# The same package for this machine's architecture, into .aws-sam/<arch>/ (docs/operations.md, LocalStack),
# compiled to bytecode by the python3.13 that runs it (before sam build links it into every function):
# else each of the sixteen functions compiles pandas & co. again in its first cold start.
HOST_ARCH := $(shell uname -m)
build-host:
	@test -n "$(LAMBDA_PYTHON313)" || { echo "the functions run python3.13: none found (set LAMBDA_PYTHON313)"; exit 1; }
	$(MAKE) --no-print-directory lambda-package LAMBDA_ARCH=$(HOST_ARCH)
	$(LAMBDA_PYTHON313) -m compileall -q -j 0 .aws-sam/$(HOST_ARCH)/lambda-package > /dev/null
	$(MAKE) --no-print-directory build LAMBDA_ARCH=$(HOST_ARCH)

# --- LocalStack (docs/operations.md) ------------------------------------------------------------------
# LocalStack 4.14.0 (the last release that runs without an auth token), pinned with its upstream runtime
# requirements as constraints, on this machine in its own venv, with the plugins of localstack_host/:
# Lambda execution environments as host processes (no Docker), DynamoDB through moto (no Java). Where a
# Docker engine runs, LOCALSTACK_RUNNER=docker starts the pinned image instead, and the functions run
# in LocalStack's Lambda containers (arm64, the default build). samlocal (pinned; it wraps the sam of
# .venv) sends sam's AWS calls to LOCALSTACK_ENDPOINT.
LOCALSTACK_VERSION := 4.14.0
LOCALSTACK_IMAGE := localstack/localstack:$(LOCALSTACK_VERSION)
LOCALSTACK_RUNNER ?= host
LOCALSTACK_PORT ?= 4566
LOCALSTACK_ENDPOINT ?= http://127.0.0.1:$(LOCALSTACK_PORT)
LOCALSTACK_STACK := investmind-localstack
LOCALSTACK_DIR := .localstack
LOCALSTACK_VENV := $(LOCALSTACK_DIR)/venv
LOCALSTACK_PY := $(LOCALSTACK_VENV)/bin/python
LOCALSTACK_CONSTRAINTS := localstack_host/requirements-runtime-$(LOCALSTACK_VERSION).txt
# Standard library only, so the project's venv runs them in either mode.
LOCALSTACK_CONTROL := $(PY) localstack_host/src/localstack_host/control.py
LOCALSTACK_BRIDGE := $(PY) localstack_host/src/localstack_host/http_api.py
# LocalStack needs Python >= 3.12 and the functions need python3.13 (their runtime): the first of each on
# this machine. pyenv's shims answer only for the active version, so every candidate is asked its own.
PYENV_VERSIONS := $(HOME)/.pyenv/versions
LOCALSTACK_PYTHON ?= $(shell for p in python3.13 $(wildcard $(PYENV_VERSIONS)/3.13*/bin/python3) python3.12 \
	$(wildcard $(PYENV_VERSIONS)/3.1[2-9]*/bin/python3) python3; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v "$$p"; break; }; done)
LAMBDA_PYTHON313 ?= $(shell for p in python3.13 $(wildcard $(PYENV_VERSIONS)/3.13*/bin/python3) python3; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null && { command -v "$$p"; break; }; done)
# engine-legacy: the default CloudFormation engine churned over 7 minutes and 2.2 GB on this template; on
# the host, engine-legacy-host is that engine with a recursion guard that reads no source files
# (localstack_host/recursion_guard.py: the guard took 5-13 s per resource here).
# DISABLE_EVENTS: no analytics, whose shutdown hook otherwise retries an unreachable host for minutes.
# The event source mappings poll every second, as LocalStack's do while busy: after an empty poll they
# otherwise back off up to 10 s, so each submission and each quiet moment of the stream waited that long
# (AWS long-polls SQS and reads a stream several times a second). On the host, an idle execution
# environment (a process forked from a warm one: localstack_host/forks.py, ~80 MB of its own once it has
# run) is stopped after 30 s, not LocalStack's 10 minutes: the extra ones that concurrent analyses start
# would otherwise hold over 3 GB between the tests that need them, and a new one imports its handler in
# 0.2-0.4 s (1.1 s for a fresh interpreter).
# What the host executor's fork servers import before forking environments (localstack_host/forks.py): the
# libraries the functions ship, and the bundled market data, which every agent reads whole and none writes
# (~40 MB a process otherwise). None of these reads a function's environment at import.
HOST_LAMBDA_PRELOAD := numpy,pandas,ta,pydantic,boto3,botocore.session,aiobotocore.session,aws_lambda_powertools,fastapi,mangum,httpx,jwt,investmind.market.bundled_store:store
LOCALSTACK_SETTINGS = GATEWAY_LISTEN=127.0.0.1:$(LOCALSTACK_PORT) LOCALSTACK_HOST=127.0.0.1:$(LOCALSTACK_PORT) \
	PERSISTENCE=0 SKIP_SSL_CERT_DOWNLOAD=1 DISABLE_EVENTS=1 \
	LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC=1
LOCALSTACK_HOST_SETTINGS = $(LOCALSTACK_SETTINGS) DNS_ADDRESS=0 \
	PROVIDER_OVERRIDE_DYNAMODB=moto PROVIDER_OVERRIDE_DYNAMODBSTREAMS=moto PROVIDER_OVERRIDE_CLOUDFORMATION=engine-legacy-host \
	PROVIDER_OVERRIDE_STEPFUNCTIONS=host \
	LAMBDA_RUNTIME_EXECUTOR=host HOST_LAMBDA_PYTHON3_13=$(LAMBDA_PYTHON313) LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT=90 \
	LAMBDA_KEEPALIVE_MS=30000 HOST_LAMBDA_PRELOAD=$(HOST_LAMBDA_PRELOAD) \
	TMPDIR=$(abspath $(LOCALSTACK_DIR))/tmp
LOCALSTACK_ANSWERS = $(PY) -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/_localstack/health', timeout=3)" \
	$(LOCALSTACK_ENDPOINT) 2>/dev/null
SAMLOCAL_VERSION := 1.71.0
SAMLOCAL := DISABLE_DEPRECATION_NOTICE=1 AWS_ENDPOINT_URL=$(LOCALSTACK_ENDPOINT) \
	$(UV) run --no-sync --with aws-sam-cli-local==$(SAMLOCAL_VERSION) samlocal
# The host executor runs the functions here: the package built for this machine, and no `sam build` (its
# sixteen makefile builds took minutes): template.yaml itself, every function's CodeUri mounting that one
# folder in place (mounted_code.py --package: no zip per function to make, upload and unpack again). The
# package is rebuilt only when the lock or a source changes (lambda-package), and compiled to bytecode by
# python3.13 only then. In Docker, Lambda's own architecture, zipped and uploaded as on AWS.
LOCALSTACK_HOST_OUT := .aws-sam/$(HOST_ARCH)
LOCALSTACK_BUILD := $(if $(filter docker,$(LOCALSTACK_RUNNER)),build,localstack-package)
LOCALSTACK_TEMPLATE := $(if $(filter docker,$(LOCALSTACK_RUNNER)),.aws-sam/build/template.yaml,$(LOCALSTACK_HOST_OUT)/template.localstack.yaml)
localstack-package: setup
	@test -n "$(LAMBDA_PYTHON313)" || { echo "the functions run python3.13: none found (set LAMBDA_PYTHON313)"; exit 1; }
	@$(MAKE) --no-print-directory lambda-package LAMBDA_ARCH=$(HOST_ARCH)
	@if [ ! -e $(LOCALSTACK_HOST_OUT)/lambda-bytecode.ok ] || [ $(LOCALSTACK_HOST_OUT)/lambda-code.ok -nt $(LOCALSTACK_HOST_OUT)/lambda-bytecode.ok ]; then \
		echo "compiling $(LOCALSTACK_HOST_OUT)/lambda-package with $(LAMBDA_PYTHON313)"; \
		$(LAMBDA_PYTHON313) -m compileall -q -j 0 $(LOCALSTACK_HOST_OUT)/lambda-package > /dev/null && touch $(LOCALSTACK_HOST_OUT)/lambda-bytecode.ok; fi
	$(PY) localstack_host/src/localstack_host/mounted_code.py template.yaml $(LOCALSTACK_TEMPLATE) --package $(LOCALSTACK_HOST_OUT)/lambda-package
# The deployed stack's first admin key (infra/keys.py), printed alone on the last line.
LOCALSTACK_AWS := AWS_ENDPOINT_URL=$(LOCALSTACK_ENDPOINT) AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
LOCALSTACK_ADMIN_KEY = $(LOCALSTACK_AWS) $(PY) -m infra keys bootstrap --stack $(LOCALSTACK_STACK)

$(LOCALSTACK_VENV)/.installed: $(LOCALSTACK_CONSTRAINTS) localstack_host/pyproject.toml emulation/pyproject.toml $(shell find localstack_host/src emulation/src -name '*.py')
	@test -n "$(LOCALSTACK_PYTHON)" || { echo "LocalStack $(LOCALSTACK_VERSION) needs Python >= 3.12: none found (set LOCALSTACK_PYTHON)"; exit 1; }
	test -x $(LOCALSTACK_PY) || $(LOCALSTACK_PYTHON) -m venv $(LOCALSTACK_VENV)
	@# uv, not the venv's pip: the same versions (the constraints pin all 111), 2 minutes instead of 13 here.
	$(UV) pip install --quiet --python $(LOCALSTACK_PY) -c $(LOCALSTACK_CONSTRAINTS) "localstack-core[runtime]==$(LOCALSTACK_VERSION)"
	@# The plugins, and the fault plan they share with the embedded runtime (emulation/).
	$(UV) pip install --quiet --python $(LOCALSTACK_PY) --no-deps --reinstall ./emulation ./localstack_host
	@touch $@

LOCALSTACK_COMMAND := $(if $(filter docker,$(LOCALSTACK_RUNNER)),docker run --rm -p 127.0.0.1:$(LOCALSTACK_PORT):4566 \
	-v /var/run/docker.sock:/var/run/docker.sock -e PERSISTENCE=0 -e DISABLE_EVENTS=1 -e LOCALSTACK_HOST=127.0.0.1:$(LOCALSTACK_PORT) \
	-e PROVIDER_OVERRIDE_CLOUDFORMATION=engine-legacy -e LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC=1 \
	$(LOCALSTACK_IMAGE),$(abspath $(LOCALSTACK_PY)) -m localstack.runtime.main)

# In the background, its PID in .localstack/localstack.pid (in Docker: the `docker run` in the foreground,
# which stops the container when stopped), ready once its health endpoint answers.
localstack-up: setup $(if $(filter docker,$(LOCALSTACK_RUNNER)),,$(LOCALSTACK_VENV)/.installed)
	@if $(LOCALSTACK_ANSWERS); then echo "LocalStack already answers at $(LOCALSTACK_ENDPOINT)"; exit 0; fi; \
	$(if $(filter docker,$(LOCALSTACK_RUNNER)),,test -n "$(LAMBDA_PYTHON313)" || { echo "the functions run python3.13: none found (set LAMBDA_PYTHON313)"; exit 1; };) \
	mkdir -p $(LOCALSTACK_DIR)/tmp && \
	env $(LOCALSTACK_HOST_SETTINGS) $(LOCALSTACK_CONTROL) start --pid-file $(LOCALSTACK_DIR)/localstack.pid \
		--log $(LOCALSTACK_DIR)/localstack.log --ready-url $(LOCALSTACK_ENDPOINT)/_localstack/health -- $(LOCALSTACK_COMMAND) && \
	echo "LocalStack $(LOCALSTACK_VERSION) ($(LOCALSTACK_RUNNER)) on $(LOCALSTACK_ENDPOINT): PID $$(cat $(LOCALSTACK_DIR)/localstack.pid), log $(LOCALSTACK_DIR)/localstack.log"

localstack-down: setup
	@$(LOCALSTACK_CONTROL) stop --pid-file $(LOCALSTACK_DIR)/localstack.pid
	rm -rf $(LOCALSTACK_DIR)/tmp

localstack-admin-key: localstack-check
	@$(LOCALSTACK_ADMIN_KEY)

localstack-check: setup
	@$(LOCALSTACK_ANSWERS) || { echo "no LocalStack answers at LOCALSTACK_ENDPOINT=$(LOCALSTACK_ENDPOINT): make localstack-up (docs/operations.md)"; exit 1; }

localstack-deploy: localstack-check
	$(MAKE) --no-print-directory $(LOCALSTACK_BUILD)
	$(SAMLOCAL) deploy --config-file $(abspath samconfig.toml) --config-env localstack --template-file $(LOCALSTACK_TEMPLATE)

# Starts LocalStack if none answers, deploys, serves the stack's HTTP API through the bridge, runs the
# integration suite against the stack's outputs, and stops what it started, whatever the outcome.
test-localstack: setup
	@started=; if ! $(LOCALSTACK_ANSWERS); then $(MAKE) --no-print-directory localstack-up && started=1 || exit 1; fi; \
	trap '$(LOCALSTACK_CONTROL) stop --pid-file $(LOCALSTACK_DIR)/bridge.pid --grace 5; [ -z "$$started" ] || $(MAKE) --no-print-directory localstack-down' EXIT; \
	$(MAKE) --no-print-directory localstack-deploy && \
	$(LOCALSTACK_CONTROL) start --pid-file $(LOCALSTACK_DIR)/bridge.pid --log $(LOCALSTACK_DIR)/bridge.log \
		--ready-file $(LOCALSTACK_DIR)/api-url --timeout 60 -- $(LOCALSTACK_BRIDGE) \
		--stack $(LOCALSTACK_STACK) --endpoint $(LOCALSTACK_ENDPOINT) --url-file $(LOCALSTACK_DIR)/api-url && \
	key=$$($(LOCALSTACK_ADMIN_KEY) --name integration-tests | tail -n 1) && \
	AWS_SAM_STACK_NAME=$(LOCALSTACK_STACK) LOCALSTACK_ENDPOINT=$(LOCALSTACK_ENDPOINT) LOCALSTACK_API_URL=$$(cat $(LOCALSTACK_DIR)/api-url) \
		LOCALSTACK_RUNNER=$(LOCALSTACK_RUNNER) \
		INVESTMIND_API_KEY=$$key $(PY) -m pytest tests/integration -rs -p no:cacheprovider --durations=15
