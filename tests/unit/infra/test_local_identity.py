"""The embedded runtime's identity: its issuer's tokens verify with the API's own verifier, and it will not
serve beyond loopback without a configured key."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import jwt
import pytest

from infra.local_identity import AUDIENCE, LocalIssuer, check_exposure, is_loopback
from investmind.auth import JwtVerifier
from investmind.errors import Unauthorized

ROOT = Path(__file__).resolve().parents[3]


def test_local_issuer_tokens_verify_against_its_jwks_and_another_runs_do_not():
    issuer = LocalIssuer("http://127.0.0.1:8000")
    verifier = JwtVerifier(issuer.issuer, AUDIENCE, jwt.PyJWKSet.from_dict(issuer.jwks()))

    assert asyncio.run(verifier.authenticate(issuer.issue("alice"))).owner == "alice"
    with pytest.raises(Unauthorized):  # a fresh key pair at every start: an old run's tokens die with it
        asyncio.run(verifier.authenticate(LocalIssuer(issuer.issuer).issue("alice")))
    assert "d" not in issuer.jwks()["keys"][0]  # the JWKS publishes the public key only


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False), ("192.168.1.5", False),
     ("example.com", False)],
)  # fmt: skip
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_beyond_loopback_needs_a_configured_key():
    check_exposure("0.0.0.0", "imk_0123456789abcdef_" + "A" * 43)
    check_exposure("127.0.0.1", "")
    with pytest.raises(SystemExit, match="refusing to serve on 0.0.0.0"):
        check_exposure("0.0.0.0", "")


def test_serve_on_all_addresses_without_a_key_refuses_to_start():
    env = {k: v for k, v in os.environ.items() if k != "INVESTMIND_API_KEY"}

    run = subprocess.run(
        [sys.executable, "-m", "infra", "serve", "--host", "0.0.0.0", "--port", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert run.returncode != 0
    assert "refusing to serve on 0.0.0.0" in run.stderr and "INVESTMIND_API_KEY" in run.stderr
    assert "serving on" not in run.stdout
