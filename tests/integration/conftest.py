"""The system under test: the embedded runtime (default), or a deployed stack named by AWS_SAM_STACK_NAME.

The runtime runs in its own process, as a deployed stack would: the tests reach it only over HTTP
(the API) and AWS's APIs (the stack's queues, tables and state machine). A deployed stack is on AWS,
or on LocalStack when LOCALSTACK_ENDPOINT is set (`make test-localstack`, which also serves the HTTP API
through a bridge named by LOCALSTACK_API_URL); when no LocalStack answers there, every test is skipped
and says so.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import boto3
import httpx
import pytest

from infra.emulator import free_port
from infra.local_identity import JWKS_PATH, LocalIssuer
from investmind_emulation.faults import FAULT_TARGET_VARIABLE, FAULTS_VARIABLE, fault_target
from tests.load import QUOTAS

ROOT = Path(__file__).resolve().parents[2]
# Long enough that the five analysts of stage 1 visibly overlap even on a cold, loaded 2-core machine
# (their starts spread over up to ~0.5 s there, see the parallel-stage test).
SIMULATED_LLM_MS = 1500
# Faults scoped by symbol, so one runtime serves healthy and faulty analyses side by side. What invokes
# the functions applies them (investmind_emulation.faults): the embedded runtime's in-process invoker, or on
# LocalStack the host executor (localstack_host/executor.py); the functions know nothing of them.
FAULTS = [
    {"target": "technical", "error": "permanent", "symbol": "000858.SZ"},
    {"target": "funds", "error": "transient", "times": 1, "symbol": "601318.SH"},
    {"target": "finalize", "error": "permanent", "symbol": "300750.SZ"},
    {"target": "industry", "error": "timeout", "symbol": "002572.SZ"},
    {"target": "macro", "error": "throttle", "times": 1, "symbol": "300027.SZ"},
    {"target": "fundamental", "error": "transient", "times": 2, "symbol": "000783.SZ"},
    {"target": "prepare", "error": "permanent", "symbol": "600887.SH"},
    {"target": "starter", "error": "crash", "times": 1, "symbol": "601012.SH"},
    {"target": "progress", "error": "transient", "times": 3, "symbol": "600276.SH"},
    {"target": "progress", "error": "undecodable", "symbol": "000333.SZ"},
]
# How long a batch whose function crashed stays invisible before the queue delivers it again: the
# template's 180 s, shortened so that the crashed-starter test waits seconds, not minutes. Still above
# StarterFunction's 30 s timeout, as AWS requires of a queue feeding a function: shorter, a starter slowed
# down by a loaded machine would see its batch delivered again while it runs, and after three receives
# the message would be dead-lettered and its task failed.
VISIBILITY_TIMEOUT_S = 35
# The suite submits many analyses as one admin (tests.load.QUOTAS raises its quotas; the quotas themselves
# are tested in tests/unit/api, the open-stream cap too: the load run's 20 readers are one owner's).
# On LocalStack each bounded SSE response holds an ApiFunction environment (one request at a time) for up
# to this long when nothing happens: short, so that a dropped stream frees its environment for the next
# request within the bridge's 30 s integration limit (on AWS, another environment would take it at once).
LOCALSTACK_SSE_BOUNDED_WAIT_S = "10"
EMBEDDED_ONLY = {
    "IssuerKeyPath": "a local issuer whose key the tests pin: the embedded runtime's, or on LocalStack's host "
    "executor one the suite serves on loopback; a stack on AWS, or in LocalStack's Docker containers (which "
    "cannot reach the suite's loopback), trusts its JwtIssuer's tokens only",
    "LogPath": "the embedded runtime's whole log in one file; a deployed stack logs to CloudWatch Logs",
}


class DeployedOutputs(dict):
    """A deployed stack's outputs: a test that needs what only the embedded runtime has skips, saying why."""

    def __missing__(self, key: str) -> str:
        if key in EMBEDDED_ONLY:
            pytest.skip(f"needs {EMBEDDED_ONLY[key]}")
        raise KeyError(key)


def _localstack_endpoint() -> str | None:
    """LocalStack's endpoint when the stack is there, after checking that something answers on it."""
    endpoint = os.environ.get("LOCALSTACK_ENDPOINT")
    if not endpoint:
        return None
    try:
        httpx.get(f"{endpoint.rstrip('/')}/_localstack/health", timeout=3).raise_for_status()
    except httpx.HTTPError as exc:
        pytest.skip(
            f"no LocalStack answers at LOCALSTACK_ENDPOINT={endpoint} ({exc.__class__.__name__}): "
            "`make test-localstack` starts one and deploys to it (docs/operations.md)"
        )
    return endpoint


def _stack_outputs(stack: str, directory: Path) -> dict[str, str]:
    endpoint = _localstack_endpoint()
    session = boto3.session.Session(
        region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        aws_access_key_id="test" if endpoint else None,
        aws_secret_access_key="test" if endpoint else None,
    )
    described = session.client("cloudformation", endpoint_url=endpoint).describe_stacks(StackName=stack)["Stacks"][0]
    outputs = DeployedOutputs({o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]})
    outputs["Region"] = session.region_name
    if endpoint:
        # LocalStack's community edition has no API Gateway v2: `make test-localstack` serves the HTTP API
        # through a bridge (localstack_host/http_api.py) and names it in LOCALSTACK_API_URL. Without it
        # (LocalStack Pro), API <id> answers under LocalStack's own domain and port.
        api_id, local = urlsplit(outputs["ApiUrl"]).hostname.split(".", 1)[0], urlsplit(endpoint)
        outputs["ApiUrl"] = os.environ.get("LOCALSTACK_API_URL") or (
            f"{local.scheme}://{api_id}.execute-api.localhost.localstack.cloud:{local.port or 4566}"
        )
        outputs["AwsEndpoint"] = endpoint
        # The host executor (localstack_host) applies a fault plan, and its functions reach this process's
        # loopback, where an issuer the suite holds the key of serves its JWKS; in LocalStack's Docker
        # containers neither holds.
        on_host = os.environ.get("LOCALSTACK_RUNNER", "host") == "host"
        issuer = _loopback_issuer(directory) if on_host else None
        names = _set_test_settings(session, endpoint, stack, on_host, issuer.environment() if issuer else {})
        outputs["FunctionNames"] = json.dumps(names)
        if on_host:
            outputs["FaultPlan"] = "applied by LocalStack's host executor"
            outputs["IssuerKeyPath"], outputs["IssuerUrl"] = str(directory / "issuer.pem"), issuer.issuer
        _warm(session, endpoint, names)
    return outputs


def _set_test_settings(
    session: boto3.session.Session, endpoint: str, stack: str, with_faults: bool, api_settings: dict[str, str]
) -> dict[str, str]:
    """On LocalStack, the session's test settings go where the embedded runtime puts them: into every
    function's environment, ``api_settings`` into ApiFunction's (the stack is this suite's own; a stack on
    AWS is never changed). Returns the functions' names by logical id."""
    cloudformation, lambdas = (
        session.client("cloudformation", endpoint_url=endpoint),
        session.client("lambda", endpoint_url=endpoint),
    )
    # The fault plan among them, with the name each function has in it: LocalStack's host executor applies
    # it (localstack_host/executor.py); the functions ignore both variables.
    settings = {"INVESTMIND_SIMULATED_LLM_MS": str(SIMULATED_LLM_MS), **QUOTAS,
                FAULTS_VARIABLE: json.dumps(FAULTS) if with_faults else "",
                "INVESTMIND_SSE_BOUNDED_WAIT_S": LOCALSTACK_SSE_BOUNDED_WAIT_S}  # fmt: skip
    resources = cloudformation.describe_stack_resources(StackName=stack)["StackResources"]
    names = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in resources
        if r["ResourceType"] == "AWS::Lambda::Function"
    }
    for logical_id, name in names.items():
        variables = lambdas.get_function_configuration(FunctionName=name).get("Environment", {}).get("Variables", {})
        wanted = settings | {FAULT_TARGET_VARIABLE: fault_target(logical_id, variables)}
        if logical_id == "ApiFunction":
            wanted |= api_settings
        if any(variables.get(k) != v for k, v in wanted.items()):
            lambdas.update_function_configuration(FunctionName=name, Environment={"Variables": variables | wanted})
    _shorten_visibility(session, endpoint, resources)
    for name in names.values():
        lambdas.get_waiter("function_updated_v2").wait(FunctionName=name)
    return names


def _loopback_issuer(directory: Path) -> LocalIssuer:
    """An ES256 issuer on loopback whose JWKS this process serves for the session, its key at
    ``directory/issuer.pem`` (the tests mint its tokens, as with the embedded runtime's issuer)."""
    port = free_port()
    issuer = LocalIssuer(f"http://127.0.0.1:{port}", _issuer_key(directory / "issuer.pem"))
    body = json.dumps(issuer.jwks()).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path != JWKS_PATH:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Jwks)
    threading.Thread(target=server.serve_forever, name="issuer-jwks", daemon=True).start()
    return issuer


def _shorten_visibility(session: boto3.session.Session, endpoint: str, resources: list[dict]) -> None:
    """The queues the template gives a visibility timeout above the suite's get the suite's, as the embedded
    runtime gives them (infra/runtime.py): a batch whose starter crashed comes back in seconds, not minutes."""
    sqs = session.client("sqs", endpoint_url=endpoint)
    for resource in resources:
        if resource["ResourceType"] != "AWS::SQS::Queue":
            continue
        # By name: the URL the stack recorded may name a host that does not resolve here.
        url = sqs.get_queue_url(QueueName=resource["PhysicalResourceId"].rstrip("/").rsplit("/", 1)[-1])["QueueUrl"]
        current = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])["Attributes"]
        if int(current["VisibilityTimeout"]) > VISIBILITY_TIMEOUT_S:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": str(VISIBILITY_TIMEOUT_S)})


def _warm(session: boto3.session.Session, endpoint: str, names: dict[str, str]) -> None:
    """Start every function's execution environment before the first test, ApiFunction's twice.

    The embedded runtime's functions are threads of one warm process; LocalStack's are processes that
    cold-start on first use (seconds each here). Left cold, the five analysts of stage 1 start seconds
    apart as their imports compete for the CPU, and a request that finds ApiFunction's environment busy
    with a bounded stream waits for a second one's cold start. After a settings change (above) LocalStack
    has dropped every environment, so this comes last. Each is invoked with an event it does nothing with:
    an empty batch, which the batch handlers answer with nothing done and the others refuse before any
    read or write; ApiFunction, two overlapping ``GET /healthz``.
    """
    from concurrent.futures import ThreadPoolExecutor

    from botocore.config import Config

    config = Config(read_timeout=120, max_pool_connections=32, retries={"total_max_attempts": 1})
    lambdas = session.client("lambda", endpoint_url=endpoint, config=config)
    http = {"method": "GET", "path": "/healthz", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "warm"}
    context = {"http": http, "routeKey": "GET /{proxy+}", "stage": "$default", "requestId": "warm"}
    healthz = {"version": "2.0", "routeKey": "GET /{proxy+}", "rawPath": "/healthz", "rawQueryString": "",
               "headers": {}, "isBase64Encoded": False, "requestContext": context}  # fmt: skip
    # ReconcileFunction is left cold: any event starts a pass, and it runs on its own schedule, so no test
    # waits on its cold start.
    cold = {"ApiFunction", "ReconcileFunction"}
    calls = [(name, {"Records": []}) for logical_id, name in names.items() if logical_id not in cold]
    calls += [(names["ApiFunction"], healthz)] * 2

    def invoke(call: tuple[str, dict]) -> tuple[str, dict]:
        reply = lambdas.invoke(FunctionName=call[0], Payload=json.dumps(call[1]).encode())
        return call[0], json.loads(reply["Payload"].read() or b"null")

    with ThreadPoolExecutor(len(calls)) as pool:
        answers = list(pool.map(invoke, calls))
    api = [answer for name, answer in answers if name == names["ApiFunction"]]
    assert all(isinstance(a, dict) and a.get("statusCode") == 200 for a in api), f"ApiFunction's warm-up: {api}"


@pytest.fixture(scope="session")
def stack_outputs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    stack = os.environ.get("AWS_SAM_STACK_NAME")
    if stack:
        yield _stack_outputs(stack, tmp_path_factory.mktemp("stack"))
        return
    settings = {"INVESTMIND_SIMULATED_LLM_MS": str(SIMULATED_LLM_MS), "INVESTMIND_FAULTS": json.dumps(FAULTS)}
    with embedded_runtime(tmp_path_factory.mktemp("runtime"), settings) as outputs:
        yield outputs


@contextmanager
def embedded_runtime(directory: Path, settings: dict[str, str]) -> Iterator[dict[str, str]]:
    """An embedded runtime in its own process, with these settings over the suite's; its outputs while it runs."""
    outputs_path = directory / "outputs.json"
    port = free_port()
    env = {
        **os.environ,
        # The local issuer's key is the tests' too, so they can mint the tokens it would (test_identity.py).
        "INVESTMIND_LOCAL_ISSUER_KEY": str(_issuer_key(outputs_path.with_name("issuer.pem"))),
        **QUOTAS,
        "INVESTMIND_LOCAL_VISIBILITY_TIMEOUT_S": str(VISIBILITY_TIMEOUT_S),
        "PYTHONUNBUFFERED": "1",
        **settings,
    }
    env.pop("AWS_ENDPOINT_URL", None)
    log_path = outputs_path.with_name("runtime.log")
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra", "serve", "--port", str(port), "--outputs", str(outputs_path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            # The runtime prints its admin key, then its URL once everything is up: wait for that line, not a timer.
            admin_key = ""
            line = process.stdout.readline()
            while line and "serving on" not in line:
                if line.startswith("INVESTMIND_API_KEY="):
                    admin_key = line.strip().partition("=")[2]
                else:
                    log.write(line)
                line = process.stdout.readline()
            if not line:
                log.flush()
                raise RuntimeError(f"embedded runtime did not start:\n{log_path.read_text()[-3000:]}")
            # Keep draining its stdout (the functions' JSON logs) so the runtime never blocks on a full pipe,
            # a line at a time, so that the fault tests read a function's log line as soon as it is written.
            threading.Thread(target=_drain, args=(process.stdout, log), daemon=True).start()
            yield {**json.loads(outputs_path.read_text()), "AdminApiKey": admin_key,
                   "IssuerKeyPath": env["INVESTMIND_LOCAL_ISSUER_KEY"], "LogPath": str(log_path),
                   "IssuerUrl": json.loads(outputs_path.read_text())["ApiUrl"].rstrip("/"),  # the API serves its JWKS
                   "RuntimePid": str(process.pid)}  # fmt: skip
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


def _drain(source: IO[str], log: IO[str]) -> None:
    for line in source:
        log.write(line)
        log.flush()


@pytest.fixture(scope="session")
def api_url(stack_outputs: dict[str, str]) -> str:
    return stack_outputs["ApiUrl"].rstrip("/")


def _issuer_key(path: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(pem)
    return path


@pytest.fixture(scope="session")
def admin_key(stack_outputs: dict[str, str]) -> str:
    """The runtime's printed admin key, or, against a deployed stack, INVESTMIND_API_KEY (an admin's)."""
    key = stack_outputs.get("AdminApiKey") or os.environ.get("INVESTMIND_API_KEY", "")
    if not key:
        pytest.skip("a deployed stack needs INVESTMIND_API_KEY (an admin key) for the integration tests")
    return key


@pytest.fixture
def api(api_url: str, admin_key: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_url, headers={"Authorization": f"Bearer {admin_key}"}, timeout=30) as client:
        yield client


@pytest.fixture(scope="session")
def aws_endpoint(stack_outputs: dict[str, str]) -> str | None:
    """Where the stack's AWS APIs answer: the embedded runtime's moto server, LocalStack, or AWS (None)."""
    return stack_outputs.get("MotoEndpoint") or stack_outputs.get("AwsEndpoint")


@pytest.fixture(scope="session")
def aws_session(stack_outputs: dict[str, str], aws_endpoint: str | None) -> boto3.session.Session:
    return boto3.session.Session(
        region_name=stack_outputs.get("Region", os.environ.get("AWS_REGION", "us-east-1")),
        aws_access_key_id="test" if aws_endpoint else None,
        aws_secret_access_key="test" if aws_endpoint else None,
    )


@pytest.fixture(scope="session")
def aws_client(aws_session: boto3.session.Session, aws_endpoint: str | None):
    def make(service: str):
        return aws_session.client(service, endpoint_url=aws_endpoint)

    return make


@pytest.fixture(scope="session")
def runtime_log(stack_outputs: dict[str, str], aws_client) -> Callable[[str], str]:
    """``runtime_log(logical_id)``: what that function has logged so far, a line per record (``checks.injected``
    and ``checks.logged`` read it). The embedded runtime's log is one file for all; on LocalStack, the function's
    CloudWatch Logs group, where the host executor also writes the faults it injected."""
    if "FunctionNames" not in stack_outputs:
        path = Path(stack_outputs["LogPath"])
        return lambda logical_id: path.read_text()
    names, logs = json.loads(stack_outputs["FunctionNames"]), aws_client("logs")

    def read(logical_id: str) -> str:
        group = f"/aws/lambda/{names[logical_id]}"
        try:
            pages = logs.get_paginator("filter_log_events").paginate(logGroupName=group)
            return "\n".join(e["message"].rstrip("\n") for page in pages for e in page["events"])
        except logs.exceptions.ResourceNotFoundException:
            return ""  # nothing logged yet

    return read


@pytest.fixture(autouse=True)
def _no_execution_outlives_its_test(stack_outputs: dict[str, str], aws_client) -> Iterator[None]:
    """On LocalStack, the executions a test leaves running are stopped when it ends.

    Several tests submit analyses they do not follow to the end. The embedded runtime runs those on as
    cheap threads; LocalStack runs every concurrent invocation of a function in a process of its own
    (about 150 MB when each started from cold), so leftovers of earlier tests piled up to dozens of
    processes, over 4 GB and functions timing out on a 2-core machine. Stopping them is what an operator's cleanup would
    do; every assertion of the test has run by then.
    """
    yield
    if "AwsEndpoint" not in stack_outputs:
        return
    sfn = aws_client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=stack_outputs["AnalysisStateMachineArn"], statusFilter="RUNNING"
    )
    for execution in [e for page in pages for e in page["executions"]]:
        sfn.stop_execution(executionArn=execution["executionArn"], error="TestEnded", cause="stopped after its test")


# Beyond what LocalStack's host executor can run here: every concurrent invocation of a function is a
# process of its own (~50 MB once forked from its warm server, localstack_host/forks.py, 53 MB on average
# over the suite's peak), and ten analyses at once need some 80 (50 analysts of stage 1 at once, 20 bounded
# SSE responses each holding an ApiFunction environment): over 4 GB on a machine budgeted 3 GB. The load
# run stays on the embedded runtime and in `make bench`.
LOCALSTACK_TOO_LARGE = {
    "test_load.py": "ten analyses at once: LocalStack's host executor runs each concurrent invocation in a "
    "process of its own (~50 MB), some 80 processes, over 4 GB, beyond this machine's 3 GB budget for it"
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("LOCALSTACK_ENDPOINT"):
        return
    for item in items:
        reason = LOCALSTACK_TOO_LARGE.get(item.path.name)
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"on LocalStack: {reason}"))
