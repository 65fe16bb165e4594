"""The console in real headless Chromium (Debian's `chromium`, driven by Playwright) against the embedded runtime.

The runtime runs in its own process, as in tests/integration, with simulated LLM latency (so that an
analysis is visibly live for a few seconds) and a fault plan scoped by symbol. A second API process,
the same app in Lambda's `bounded` SSE mode on the runtime's tables, serves the page whose server
ends every stream response after a few events. Every test saves a screenshot under OUTPUT.
When no Chromium is installed (`make e2e-setup` installs it, as root on Debian) every test skips, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from infra.emulator import free_port
from infra.local_identity import LocalIssuer

from .helpers import submit

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("INVESTMIND_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
OUTPUT = Path(os.environ.get("INVESTMIND_E2E_OUTPUT", ROOT / "test-output" / "e2e"))
SIMULATED_LLM_MS = 500
FAILING_SYMBOL = "300750.SZ"
FAULTS = [{"target": "funds", "error": "permanent", "symbol": FAILING_SYMBOL}]
OAUTH_DOMAIN = "https://auth.investmind.test"
OAUTH_CLIENT_ID = "console-e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not CHROMIUM.exists():
        reason = f"no Chromium at {CHROMIUM}: run `make e2e-setup` (apt-get install chromium, as root on Debian)"
        for item in items:
            if item.path.is_relative_to(Path(__file__).parent):
                item.add_marker(pytest.mark.skip(reason=reason))


def _start(command: list[str], env: dict[str, str], log_path: Path, ready: str) -> tuple[subprocess.Popen, str]:
    """Start ``command``, wait for the line containing ``ready`` on its stdout (never a timer), and return the
    admin key it printed on the way (``INVESTMIND_API_KEY=<key>``; never written to the log)."""
    log = open(log_path, "w")  # noqa: SIM115 - kept open for the process's life, closed by the OS at exit
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    key = ""
    line = process.stdout.readline()
    while line and ready not in line:
        if line.startswith("INVESTMIND_API_KEY="):
            key = line.strip().partition("=")[2]
        else:
            log.write(line)
        line = process.stdout.readline()
    if not line:
        log.flush()
        raise RuntimeError(f"{command[2]} did not start:\n{log_path.read_text()[-3000:]}")
    threading.Thread(target=shutil.copyfileobj, args=(process.stdout, log), daemon=True).start()
    return process, key


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="package")
def _servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """The runtime (ready when this returns) and the bounded API (started at once, awaited on first use)."""
    folder = tmp_path_factory.mktemp("e2e-runtime")
    outputs = folder / "outputs.json"
    issuer_key = folder / "issuer.pem"  # pinned, so that the sign-in test mints tokens the runtime trusts
    issuer_key.write_bytes(ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))  # fmt: skip
    env = {**os.environ, "INVESTMIND_SIMULATED_LLM_MS": str(SIMULATED_LLM_MS), "INVESTMIND_FAULTS": json.dumps(FAULTS),
           "INVESTMIND_LOCAL_ISSUER_KEY": str(issuer_key), "PYTHONUNBUFFERED": "1"}  # fmt: skip
    env.pop("AWS_ENDPOINT_URL", None)
    runtime_port = free_port()
    command = [sys.executable, "-m", "infra", "serve", "--port", str(runtime_port), "--outputs", str(outputs)]
    runtime, key = _start(command, env, folder / "runtime.log", "serving on")
    stack = json.loads(outputs.read_text())
    issuer = LocalIssuer(f"http://127.0.0.1:{runtime_port}", issuer_key)
    port = free_port()
    bounded = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "investmind.composition.api:create_aws_app", f"--port={port}"],
        cwd=ROOT, env=_bounded_env(stack, issuer), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        yield {"stack": stack, "bounded": bounded, "bounded_url": f"http://127.0.0.1:{port}/", "folder": folder,
               "key": key, "issuer": issuer}  # fmt: skip
    finally:
        _stop(bounded)
        _stop(runtime)


def _bounded_env(stack: dict[str, str], issuer: LocalIssuer) -> dict[str, str]:
    """The same app on the runtime's tables in Lambda's SSE mode: each stream response ends after a few events.

    It also has what a deployment with Cognito has: an OAuth authorization server for the console's account
    sign-in (at OAUTH_DOMAIN, which only the browser tests' routes answer: Cognito cannot run here) whose
    tokens are the runtime's local issuer's.
    """
    return {
        **os.environ,
        **issuer.environment(),
        "INVESTMIND_OAUTH_DOMAIN": OAUTH_DOMAIN,
        "INVESTMIND_OAUTH_CLIENT_ID": OAUTH_CLIENT_ID,
        "AWS_ENDPOINT_URL": stack["MotoEndpoint"],
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": stack["Region"],
        "INVESTMIND_TASKS_TABLE": stack["TasksTableName"],
        "INVESTMIND_EVENTS_TABLE": stack["EventsTableName"],
        "INVESTMIND_STATE_MACHINE_ARN": stack["AnalysisStateMachineArn"],
        "INVESTMIND_KEYS_TABLE": stack["KeysTableName"],
        "INVESTMIND_QUEUE_HIGH_URL": stack["HighQueueUrl"],
        "INVESTMIND_QUEUE_NORMAL_URL": stack["NormalQueueUrl"],
        "INVESTMIND_QUEUE_LOW_URL": stack["LowQueueUrl"],
        "INVESTMIND_SSE_MODE": "bounded",
        "INVESTMIND_SSE_BOUNDED_WAIT_S": "2",
        "INVESTMIND_SSE_LINGER_S": "0.2",
        "INVESTMIND_SSE_POLL_MS": "100",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="package")
def base_url(_servers: dict[str, object]) -> str:
    return _servers["stack"]["ApiUrl"].rstrip("/") + "/"


@pytest.fixture(scope="package")
def bounded_url(_servers: dict[str, object]) -> str:
    process: subprocess.Popen = _servers["bounded"]
    log = open(_servers["folder"] / "bounded-api.log", "w")  # noqa: SIM115 - open for the process's life
    line = process.stdout.readline()
    while line and "Uvicorn running" not in line:
        log.write(line)
        line = process.stdout.readline()
    if not line:
        raise RuntimeError("the bounded API did not start: see bounded-api.log")
    threading.Thread(target=shutil.copyfileobj, args=(process.stdout, log), daemon=True).start()
    return _servers["bounded_url"]


@pytest.fixture(scope="package")
def issuer(_servers: dict[str, object]) -> LocalIssuer:
    """The runtime's local JWT issuer (its key pinned by these tests): tokens it issues are accepted."""
    return _servers["issuer"]


@pytest.fixture(scope="package")
def api_key(_servers: dict[str, object]) -> str:
    """The admin key the runtime printed: the tests' requests and the console's sign-in use it."""
    assert _servers["key"], "the runtime printed no INVESTMIND_API_KEY line"
    return str(_servers["key"])


@pytest.fixture
def api(base_url: str, api_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {api_key}"}) as client:
        yield client


@pytest.fixture(scope="package")
def finished(base_url: str, api_key: str) -> dict[str, str]:
    """Analyses some tests only read once ended, submitted together on first use (they run concurrently).

    Symbols and dates differ from the other tests' and from the examples' (600519).
    """
    wanted = {
        "done": ("000001", "2023-06-30"), "older": ("000001", "2021-06-30"),
        "degraded": (FAILING_SYMBOL.split(".")[0], "2023-03-31"),
    }  # fmt: skip
    with httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {api_key}"}) as client:
        return {name: submit(client, symbol, as_of) for name, (symbol, as_of) in wanted.items()}


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    """One Chromium for these tests; Playwright starts it on a fresh temporary user-data-dir.

    Package-scoped, like the servers: Playwright's sync API keeps an event loop running on this thread
    while it is open, which would break every later test that runs asyncio itself.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def browser_context(browser, api_key: str, request: pytest.FixtureRequest):
    """A fresh, isolated context per test (its own storage: language, key); ``locale`` from the test's mark.

    Signed in as a user would be, with the printed key in the console's storage (unless a test sets its own).
    """
    mark = request.node.get_closest_marker("locale")
    context = browser.new_context(
        viewport={"width": 1440, "height": 1000}, locale=mark.args[0] if mark else "en-US", accept_downloads=True
    )
    # Once per tab (sessionStorage survives reloads): a test that clears the key keeps it cleared.
    flag, store = "investmind.e2e.signedIn", "investmind.apiKey"
    context.add_init_script(
        f"if (!sessionStorage.getItem('{flag}')) {{ sessionStorage.setItem('{flag}', '1');"
        f" if (localStorage.getItem('{store}') === null) localStorage.setItem('{store}', {json.dumps(api_key)}); }}"
    )
    context.set_default_timeout(30_000)
    yield context
    context.close()


@pytest.fixture
def page(browser_context, request: pytest.FixtureRequest):
    """The console's page; errors thrown by its scripts fail the test, and a screenshot is saved at the end."""
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=OUTPUT / f"{request.node.name}.png", full_page=True)
    page.screenshot(path=OUTPUT / f"{request.node.name}-viewport.png")  # a full-page shot may catch the chart redrawing
    assert not errors, f"the page threw: {errors}"
