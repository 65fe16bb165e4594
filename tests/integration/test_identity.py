"""Identity over HTTP on the embedded runtime: every /v1 route needs a caller, two owners never see each
other's analyses (404, never 403), JWTs are checked against the issuer's JWKS, stream tokens are scoped to
one task, and the CLI's ``keys`` commands manage keys (docs/security.md)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from httpx_sse import connect_sse

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
AUDIENCE = "investmind-local"
TASK = "0" * 32


def _expect_401(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"]["code"] == "unauthorized" and body["error"]["message"]
    assert response.headers["www-authenticate"].startswith("Bearer ")


def _client(api_url: str, credential: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {credential}"} if credential else {}
    return httpx.Client(base_url=api_url, headers=headers, timeout=30)


@pytest.fixture
def owners(api: httpx.Client, api_url: str) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """Two fresh owners, each with its own API key made by the admin."""
    clients = []
    for who in ("alice", "bob"):
        created = api.post("/v1/keys", json={"owner": f"{who}-{uuid.uuid4().hex[:6]}", "name": "tests"})
        assert created.status_code == 201, created.text
        clients.append(_client(api_url, created.json()["key"]))
    yield clients[0], clients[1]
    for client in clients:
        client.close()


def _submit(client: httpx.Client, symbol: str = "600519", **headers: str) -> str:
    response = client.post("/v1/analyses", json={"symbol": symbol}, headers=headers)
    assert response.status_code == 202, response.text
    return response.json()["task_id"]


def _first_frames(client: httpx.Client, path: str, count: int, **params: str) -> list[int]:
    """The seqs of the first ``count`` events of a stream, reconnecting with ``Last-Event-ID`` as EventSource
    does when a response ends first (behind API Gateway each response is bounded: it may carry one event)."""
    seqs: list[int] = []
    deadline = time.monotonic() + 60
    while len(seqs) < count and time.monotonic() < deadline:
        headers = {"Last-Event-ID": str(seqs[-1])} if seqs else {}
        left = deadline - time.monotonic()
        with connect_sse(
            client, "GET", path, params=params, headers=headers, timeout=httpx.Timeout(left, read=left)
        ) as source:
            assert source.response.status_code == 200, source.response.read()
            for sse in source.iter_sse():
                if sse.id:
                    seqs.append(int(sse.id))
                if len(seqs) == count:
                    break
    return seqs


def test_every_v1_route_without_credentials_is_401_and_creates_nothing(api, api_url):
    # Ids, not summaries: analyses of earlier tests may still be running, and their summaries move on.
    before = [t["task_id"] for t in api.get("/v1/analyses", params={"limit": 100}).json()["items"]]
    routes = [
        ("POST", "/v1/analyses"), ("GET", "/v1/analyses"), ("GET", f"/v1/analyses/{TASK}"),
        ("POST", f"/v1/analyses/{TASK}/cancel"), ("GET", f"/v1/analyses/{TASK}/events"),
        ("GET", f"/v1/analyses/{TASK}/stream"), ("POST", f"/v1/analyses/{TASK}/stream-token"),
        ("GET", "/v1/agents"), ("GET", "/v1/keys"), ("POST", "/v1/keys"), ("DELETE", "/v1/keys/abc"),
    ]  # fmt: skip
    with _client(api_url) as anonymous, _client(api_url, "imk_0123456789abcdef_" + "A" * 43) as forged:
        for method, path in routes:
            _expect_401(anonymous.request(method, path, json={"symbol": "600519", "name": "x"}))
            _expect_401(forged.request(method, path, json={"symbol": "600519", "name": "x"}))
        _expect_401(anonymous.get("/v1/analyses", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}))
    assert [t["task_id"] for t in api.get("/v1/analyses", params={"limit": 100}).json()["items"]] == before
    assert httpx.get(f"{api_url}/healthz").status_code == 200  # liveness stays open


def test_another_owners_analysis_is_404_on_every_route(owners):
    alice, bob = owners
    task_id = _submit(alice)

    for response in (
        bob.get(f"/v1/analyses/{task_id}"),
        bob.get(f"/v1/analyses/{task_id}/events"),
        bob.get(f"/v1/analyses/{task_id}/stream"),
        bob.post(f"/v1/analyses/{task_id}/cancel"),
        bob.post(f"/v1/analyses/{task_id}/stream-token"),
    ):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    assert task_id not in [t["task_id"] for t in bob.get("/v1/analyses").json()["items"]]
    assert alice.get(f"/v1/analyses/{task_id}").json()["status"] != "CANCELLED"
    assert [t["task_id"] for t in alice.get("/v1/analyses").json()["items"]] == [task_id]
    assert alice.get(f"/v1/analyses/{task_id}").json()["owner"].startswith("alice-")


def test_idempotency_keys_are_per_owner(owners):
    alice, bob = owners
    key = f"same-{uuid.uuid4().hex}"

    first, again, others = (
        _submit(alice, **{"Idempotency-Key": key}),
        _submit(alice, **{"Idempotency-Key": key}),
        (_submit(bob, **{"Idempotency-Key": key})),
    )

    assert first == again != others
    assert bob.get(f"/v1/analyses/{first}").status_code == 404


def test_stream_token_opens_its_own_stream_only_and_resumes(owners, api_url, runtime_log):
    alice, bob = owners
    task_id, other_id, bobs_id = _submit(alice), _submit(alice), _submit(bob)
    minted = alice.post(f"/v1/analyses/{task_id}/stream-token")
    assert minted.status_code == 200 and minted.headers["cache-control"] == "no-store"
    token = minted.json()["token"]
    assert minted.json()["expires_at"] - time.time() <= 300 + 5

    with _client(api_url) as browser:  # an EventSource: no Authorization header, the token in the query
        assert _first_frames(browser, f"/v1/analyses/{task_id}/stream", 2, token=token) == [1, 2]
        assert _first_frames(browser, f"/v1/analyses/{task_id}/stream", 1, token=token, after="1") == [2]
        for stolen in (other_id, bobs_id):  # another task of the same owner, another owner's task
            _expect_401(browser.get(f"/v1/analyses/{stolen}/stream", params={"token": token}))
        _expect_401(browser.get(f"/v1/analyses/{task_id}/stream", params={"token": token[:-2] + "xx"}))
    with _client(api_url, token) as bearer:  # only the stream takes it, and only from the query
        _expect_401(bearer.get(f"/v1/analyses/{task_id}"))
        _expect_401(bearer.get(f"/v1/analyses/{task_id}/stream"))
    assert token not in runtime_log("ApiFunction")


def _issuer_key(stack_outputs) -> ec.EllipticCurvePrivateKey:
    return serialization.load_pem_private_key(Path(stack_outputs["IssuerKeyPath"]).read_bytes(), password=None)


def _kid(issuer: str) -> str:
    return httpx.get(f"{issuer}/.well-known/jwks.json").json()["keys"][0]["kid"]


def _token(key, kid: str, issuer: str, **overrides) -> str:
    now = int(time.time())
    claims = {"iss": issuer, "aud": AUDIENCE, "sub": f"jwt-{uuid.uuid4().hex[:6]}", "iat": now, "nbf": now,
              "exp": now + 600, **overrides}  # fmt: skip
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="ES256", headers={"kid": kid})


def test_jwt_of_the_local_issuer_is_its_subs_identity(api_url, stack_outputs):
    key, issuer = _issuer_key(stack_outputs), stack_outputs["IssuerUrl"]
    sub = f"jwt-{uuid.uuid4().hex[:6]}"
    token = _token(key, _kid(issuer), issuer, sub=sub)
    with _client(api_url, token) as caller:
        task_id = _submit(caller)
        assert caller.get(f"/v1/analyses/{task_id}").json()["owner"] == sub
        assert [t["task_id"] for t in caller.get("/v1/analyses").json()["items"]] == [task_id]


def test_refused_tokens_are_401_with_the_error_shape(api_url, stack_outputs):
    key, issuer, now = _issuer_key(stack_outputs), stack_outputs["IssuerUrl"], int(time.time())
    kid = _kid(issuer)
    foreign = ec.generate_private_key(ec.SECP256R1())
    unsigned = jwt.encode({"iss": issuer, "aud": AUDIENCE, "sub": "mallory", "exp": now + 600}, None, algorithm="none")
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    refused = {
        "expired": _token(key, kid, issuer, iat=now - 7200, nbf=now - 7200, exp=now - 3600),
        "not yet valid": _token(key, kid, issuer, nbf=now + 3600),
        "wrong audience": _token(key, kid, issuer, aud="someone-else"),
        "wrong issuer": _token(key, kid, "https://issuer.example"),
        "no expiry": _token(key, kid, issuer, exp=None),
        "alg none": unsigned,
        "foreign key, same kid": _token(foreign, kid, issuer),
        "foreign key, unknown kid": _token(foreign, "not-a-kid", issuer),
        "HS256 keyed with the public key": _hs256({"iss": issuer, "aud": AUDIENCE, "sub": "mallory",
                                                     "exp": now + 600}, public_pem, kid),
        "garbage": "not.a.jwt",
    }  # fmt: skip
    for case, token in refused.items():
        with _client(api_url, token) as caller:
            response = caller.get("/v1/analyses")
            assert response.status_code == 401, (case, response.text)
            _expect_401(response)
            assert 'error="invalid_token"' in response.headers["www-authenticate"], case


def _hs256(claims: dict, secret: bytes, kid: str) -> str:
    """The key-confusion forgery, built by hand (PyJWT refuses to HMAC with a PEM key)."""
    part = lambda data: base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")  # noqa: E731
    signing_input = part({"alg": "HS256", "typ": "JWT", "kid": kid}) + b"." + part(claims)
    signature = base64.urlsafe_b64encode(hmac.new(secret, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    return (signing_input + b"." + signature).decode()


def _cli(*args: str, key: str, api_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "INVESTMIND_URL": api_url, "INVESTMIND_API_KEY": key}
    return subprocess.run(
        [sys.executable, "-m", "investmind_cli", *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )


def test_cli_keys_create_list_revoke(admin_key, api_url):
    owner = f"carol-{uuid.uuid4().hex[:6]}"

    created = _cli("keys", "create", "--owner", owner, key=admin_key, api_url=api_url)

    assert created.returncode == 0, created.stderr
    new_key = created.stdout.strip().splitlines()[-1]
    with _client(api_url, new_key) as carol:
        assert carol.get("/v1/analyses").status_code == 200
        assert carol.post("/v1/keys", json={"owner": "someone-else", "name": "x"}).status_code == 403
        listed = _cli("keys", "list", key=new_key, api_url=api_url)
        assert listed.returncode == 0 and owner in listed.stdout and new_key not in listed.stdout
        key_id = listed.stdout.split()[0]
        revoked = _cli("keys", "revoke", key_id, key=admin_key, api_url=api_url)
        assert revoked.returncode == 0, revoked.stderr
        _expect_401(carol.get("/v1/analyses"))
    assert (
        json.dumps(httpx.get(f"{api_url}/v1/keys", headers={"Authorization": f"Bearer {admin_key}"}).json()).count(
            key_id
        )
        == 1
    )
