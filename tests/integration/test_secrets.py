"""No secret ever shows: an analysis on its own embedded runtime with every kind of secret configured and used
(the LLM endpoint's key and the tushare token read from SSM, API keys, a JWT, a stream token), then every log
line the runtime wrote, every item of every table, the events, the task and the errors are searched for them."""

from __future__ import annotations

import base64
import gzip
import json
import os
import secrets
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from httpx_sse import connect_sse

from infra.emulator import free_port
from investmind.roster import AGENTS

# Its own runtime (a module fixture): all its tests on one worker of make test's two (--dist loadgroup).
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("test_secrets")]
ROOT = Path(__file__).resolve().parents[2]


def _api_key() -> str:
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
    return f"imk_{secrets.token_hex(8)}_{secret}"


SECRETS = {
    "llm key": f"sk-leaktest-{secrets.token_hex(20)}",
    "tushare token": secrets.token_hex(28),
    "admin key": _api_key(),
}


class _LlmEndpoint(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that refuses the key and, as real ones do, echoes it in its error.

    A stand-in for the LLM service, which cannot run here; what it receives is what the agents sent."""

    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        key = self.headers.get("Authorization", "").removeprefix("Bearer ")
        _LlmEndpoint.seen.append(key)
        body = json.dumps({"error": {"message": f"Incorrect API key provided: {key}", "code": "invalid_api_key"}})
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def llm_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LlmEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, llm_endpoint: str) -> Iterator[dict]:
    """A runtime of its own: the openai provider, tushare first in the chain, the admin key configured."""
    work = tmp_path_factory.mktemp("secrets")
    pem = work / "issuer.pem"
    pem.write_bytes(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("INVESTMIND_", "AWS_ENDPOINT"))}
    env.update(
        {
            "INVESTMIND_LOCAL_ISSUER_KEY": str(pem),
            "INVESTMIND_API_KEY": SECRETS["admin key"],
            "INVESTMIND_LLM_PROVIDER": "openai",
            "INVESTMIND_LLM_MODEL": "leak-test-model",
            "INVESTMIND_LLM_BASE_URL": llm_endpoint,
            "INVESTMIND_LLM_MAX_RETRIES": "0",
            "INVESTMIND_DATA_PROVIDERS": "tushare,bundled",
            "INVESTMIND_DATA_TIMEOUT_S": "3",
            "INVESTMIND_LOG_LEVEL": "DEBUG",
            "POWERTOOLS_LOG_LEVEL": "DEBUG",
            "PYTHONUNBUFFERED": "1",
        }
    )
    outputs, log_path = work / "outputs.json", work / "runtime.log"
    port = free_port()
    # stdout and stderr both: the functions' Powertools JSON logs go to stdout, everything else to stderr.
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "infra", "serve", "--port", str(port), "--outputs", str(outputs)],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        copier = None

        def stop() -> None:
            """Stop the runtime and wait until its last line is in the log."""
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            if copier is not None:
                copier.join(timeout=10)
            log.flush()

        try:
            lines = []
            line = process.stdout.readline()
            while line and "serving on" not in line:
                lines.append(line)
                line = process.stdout.readline()
            assert line, "the runtime did not start:\n" + "".join(lines)[-3000:]
            # The one line that prints the admin key is the contract of `make run` (docs/security.md, section 4).
            printed = [x for x in lines if x.startswith("INVESTMIND_API_KEY=")]
            assert printed == [f"INVESTMIND_API_KEY={SECRETS['admin key']}\n"]
            log.writelines([*(x for x in lines if x not in printed), line])
            copier = threading.Thread(target=lambda: log.writelines(iter(process.stdout.readline, "")), daemon=True)
            copier.start()
            yield {**json.loads(outputs.read_text()), "pem": pem, "log": log_path, "stop": stop}
        finally:
            stop()


def _jwt(pem: Path, issuer: str, sub: str) -> str:
    key = serialization.load_pem_private_key(pem.read_bytes(), password=None)
    jwks = httpx.get(f"{issuer}/.well-known/jwks.json", timeout=10).json()
    kid = jwks["keys"][0]["kid"]
    now = int(time.time())
    claims = {"iss": issuer, "aud": "investmind-local", "sub": sub, "iat": now, "nbf": now, "exp": now + 600}
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid})


def _dump_tables(outputs: dict) -> str:
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=outputs["MotoEndpoint"], region_name=outputs["Region"],
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    items = []
    for name in dynamodb.list_tables()["TableNames"]:
        for page in dynamodb.get_paginator("scan").paginate(TableName=name):
            items.extend(page["Items"])
    assert items
    return json.dumps(items, ensure_ascii=False, default=_readable)


def _readable(value: object) -> str:
    """A binary attribute as text: compressed payloads (events, cached parts) are searched decompressed."""
    if isinstance(value, bytes | bytearray):
        data = bytes(value)
        for unpack in (gzip.decompress, zlib.decompress):
            try:
                data = unpack(data)
                break
            except (OSError, zlib.error, EOFError):
                continue
        return data.decode("utf-8", errors="replace")
    raise TypeError(type(value).__name__)


def test_no_key_or_token_shows_in_any_log_line_table_event_task_or_error(runtime, llm_endpoint):
    api = runtime["ApiUrl"]
    ssm = boto3.client(
        "ssm", endpoint_url=runtime["MotoEndpoint"], region_name=runtime["Region"],
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    # GIVEN the LLM key and the tushare token where a deployment keeps them: SSM SecureStrings
    ssm.put_parameter(Name="investmind-llm-api-key", Type="SecureString", Value=SECRETS["llm key"])
    ssm.put_parameter(Name="investmind-tushare-token", Type="SecureString", Value=SECRETS["tushare token"])
    admin = httpx.Client(base_url=api, headers={"Authorization": f"Bearer {SECRETS['admin key']}"}, timeout=30)
    created = admin.post("/v1/keys", json={"owner": "leak-owner", "name": "leak test"})
    assert created.status_code == 201, created.text
    SECRETS["user key"] = created.json()["key"]
    SECRETS["jwt"] = _jwt(runtime["pem"], api, "leak-owner")
    caller = httpx.Client(base_url=api, headers={"Authorization": f"Bearer {SECRETS['jwt']}"}, timeout=30)
    # WHEN the owner submits an analysis with its JWT and follows it with a stream token to the end
    submitted = caller.post("/v1/analyses", json={"symbol": "600036"})
    assert submitted.status_code == 202, submitted.text
    task_id = submitted.json()["task_id"]
    issued = caller.post(f"/v1/analyses/{task_id}/stream-token").json()
    SECRETS["stream token"] = issued["token"]
    terminal = None
    with httpx.Client(base_url=api, timeout=httpx.Timeout(120, read=120)) as viewer:
        with connect_sse(viewer, "GET", f"/v1/analyses/{task_id}/stream", params={"token": issued["token"]}) as sse:
            assert sse.response.status_code == 200
            for frame in sse.iter_sse():
                if frame.event in ("task_completed", "task_failed", "task_cancelled"):
                    terminal = frame.event
                    break
    assert terminal == "task_completed"
    # AND credentials are refused the way attackers would try them (their errors are searched too)
    wrong_key = SECRETS["user key"][:-4] + "AAAA"
    errors = [
        httpx.get(f"{api}/v1/analyses", headers={"Authorization": f"Bearer {wrong_key}"}),
        httpx.get(f"{api}/v1/analyses", headers={"Authorization": f"Bearer {issued['token']}"}),
        httpx.get(f"{api}/v1/analyses/{'0' * 32}/stream", params={"token": issued["token"]}),
    ]
    assert [e.status_code for e in errors] == [401, 401, 401]
    # THEN the secrets were used: every agent sent the key the agents read from SSM
    assert len(_LlmEndpoint.seen) >= len(AGENTS) and set(_LlmEndpoint.seen) == {SECRETS["llm key"]}
    task = caller.get(f"/v1/analyses/{task_id}").json()
    events = caller.get(f"/v1/analyses/{task_id}/events", params={"limit": 1000}).text
    assert "Incorrect API key provided" in events  # the endpoint's error reached the events, redacted
    tables = _dump_tables(runtime)
    runtime["stop"]()
    # AND the log names each request's owner (the access log's owner, joined by API Gateway's requestId)
    callers = [json.loads(x) for x in runtime["log"].read_text().splitlines() if '"message":"caller"' in x]
    assert {(c["owner"], c["via"]) for c in callers} >= {("leak-owner", "jwt"), ("leak-owner", "stream_token")}
    # AND no secret (nor the secret half of a key, nor a token's signature) is anywhere they could show
    places = {
        "the runtime's log (every function's and the API's)": runtime["log"].read_text(),
        "the tables": tables,
        "the events": events,
        "the task": json.dumps(task, ensure_ascii=False),
        "the errors": "\n".join(e.text for e in errors),
    }
    for name, value in SECRETS.items():
        # An API key is imk_<id>_<secret>, and its secret is base64url, so it may hold "_" itself: split twice.
        # A JWT's signature is its last part. (Either split applied to the other kind of value could yield a
        # few characters found anywhere: a token's base64url may hold "_" near its end.)
        needles = [value]
        if value.startswith("imk_"):
            needles.append(value.split("_", 2)[-1])
        elif value.count(".") == 2:
            needles.append(value.rsplit(".", 1)[-1])
        for place, text in places.items():
            for needle in needles:
                assert needle not in text, f"the {name} shows in {place}"
