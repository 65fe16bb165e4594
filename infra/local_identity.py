"""The embedded runtime's identity: a local JWT issuer (a key pair made at start, its JWKS on loopback) and
the admin API key that ``make run`` prints (docs/security.md). The API verifies both with the code it runs on AWS."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import os
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

AUDIENCE = "investmind-local"
JWKS_PATH = "/.well-known/jwks.json"
ADMIN_OWNER = "admin"


class LocalIssuer:
    """An ES256 issuer at ``issuer`` (the API's own URL). ``key_path`` pins its private key (PEM), e.g. for
    tests that mint their own tokens; without it a fresh key is made at every start."""

    def __init__(self, issuer: str, key_path: Path | None = None) -> None:
        if key_path is not None:
            loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            if not isinstance(loaded, ec.EllipticCurvePrivateKey):
                raise SystemExit(f"{key_path}: the local issuer's key must be an EC (P-256) private key")
            self.private_key = loaded
        else:
            self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.issuer = issuer
        # Named after the key itself, so every LocalIssuer of one pinned key publishes the same kid.
        public_der = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = hashlib.sha256(public_der).hexdigest()[:16]

    def jwks(self) -> dict[str, Any]:
        public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.private_key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "ES256", "use": "sig"}]}

    def issue(self, sub: str, ttl_s: int = 3600) -> str:
        """A token for ``sub`` (the local deployment's own sign-in)."""
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": AUDIENCE, "sub": sub, "iat": now, "nbf": now, "exp": now + ttl_s}
        return jwt.encode(claims, self.private_key, algorithm="ES256", headers={"kid": self.kid})

    def environment(self) -> dict[str, str]:
        """What the API reads to trust this issuer."""
        return {"INVESTMIND_JWT_ISSUER": self.issuer, "INVESTMIND_JWT_AUDIENCE": AUDIENCE,
                "INVESTMIND_JWKS_URL": self.issuer + JWKS_PATH}  # fmt: skip

    def serve_jwks(self, app: Any) -> None:
        """Add ``/.well-known/jwks.json`` to the API app (the embedded runtime only; on AWS the issuer serves it)."""
        keys = self.jwks()

        async def jwks() -> dict[str, Any]:
            return keys

        app.add_api_route(JWKS_PATH, jwks, methods=["GET"], include_in_schema=False)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, configured_key: str) -> None:
    """Refuse to serve beyond loopback unless the operator set the admin key (a key printed to a
    terminal is not a credential for a network)."""
    if not is_loopback(host) and not configured_key:
        raise SystemExit(
            f"refusing to serve on {host}: beyond loopback the admin key must be configured, not generated. "
            "Set INVESTMIND_API_KEY to a key of the form imk_<16 hex digits>_<43 base64url characters> "
            "(e.g. the one a previous `make run` printed), or bind 127.0.0.1."
        )


def create_admin_key(keys_table: str, key: str | None, owner: str = ADMIN_OWNER, name: str = "local admin") -> str:
    """Register an admin key for ``owner`` in a KeysTable (the given key, or a new one) and return it: the
    embedded runtime's, and a deployed stack's first (``python -m infra keys bootstrap``, infra/keys.py)."""
    from investmind.adapters import aws
    from investmind.adapters.dynamodb.keys import AsyncDynamoKeyStore
    from investmind.auth import ApiKeys, Caller

    async def create() -> str:
        clients = aws.AsyncClients()
        await clients.start("dynamodb")
        try:
            keys = ApiKeys(AsyncDynamoKeyStore(keys_table, clients["dynamodb"]))
            bootstrap = Caller(owner=owner, admin=True, via="api_key")
            issued = await keys.create(bootstrap, owner, name, role="admin", key=key or None)
            return issued.key
        finally:
            await clients.close()

    try:
        return asyncio.run(create())
    except Exception as exc:
        if type(exc).__name__ != "InvalidRequest":
            raise
        if key:
            raise SystemExit(f"INVESTMIND_API_KEY is not an InvestMind API key: {exc}") from None
        raise SystemExit(f"no admin key made: {exc}") from None


def configured_key() -> str:
    return os.environ.get("INVESTMIND_API_KEY", "").strip()
