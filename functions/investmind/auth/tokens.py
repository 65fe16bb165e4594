"""JWTs from an issuer's JWKS (Cognito, any OIDC issuer, the embedded runtime's) and the stream tokens.

Both are checked by PyJWT: signature, expiry, not-before, issuer; algorithms from an allow-list, so
``alg: none`` and an HMAC forged with a public key are refused before any key is looked at.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection
from typing import Any

import jwt
from anyio import to_thread

from ..errors import Unauthorized
from .base import Caller

LEEWAY_S = 30
"""Clock skew tolerated on ``exp`` and ``nbf``."""


def _refused(reason: str) -> Unauthorized:
    return Unauthorized(f"the token was refused: {reason}", {"presented": True})


class JwtVerifier:
    """Verifies bearer JWTs of one issuer and audience against the issuer's JWKS.

    Parameters
    ----------
    issuer, audience
        The ``iss`` and the ``aud`` (or, as in Cognito's access tokens, ``client_id``) required.
    jwks
        The issuer's keys: a :class:`jwt.PyJWKClient` on its JWKS URL (cached, refetched for an unknown
        ``kid``), or a fixed :class:`jwt.PyJWKSet`.
    algorithms
        The allow-list (asymmetric only).
    admin_owners
        ``sub`` values that are admins.
    """

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks: jwt.PyJWKClient | jwt.PyJWKSet,
        algorithms: Collection[str] = ("RS256", "ES256"),
        admin_owners: frozenset[str] = frozenset(),
    ) -> None:
        if not issuer or not audience:
            raise ValueError("a JWT verifier needs an issuer and an audience")
        if any(a.upper().startswith("HS") or a.lower() == "none" for a in algorithms):
            raise ValueError(f"only asymmetric algorithms may verify callers' JWTs, not {sorted(algorithms)}")
        self.issuer, self.audience, self.jwks = issuer, audience, jwks
        self.algorithms = list(algorithms)
        self.admin_owners = admin_owners

    @classmethod
    def from_url(cls, issuer: str, audience: str, jwks_url: str, **kwargs: Any) -> JwtVerifier:
        return cls(issuer, audience, jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5), **kwargs)

    async def authenticate(self, token: str) -> Caller:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise _refused("not a JWT") from exc
        if header.get("alg") not in self.algorithms:
            raise _refused(f"algorithm {header.get('alg')!r} is not accepted")
        key = await self._key(token, header)
        try:
            claims = jwt.decode(
                token, key, algorithms=self.algorithms, issuer=self.issuer, leeway=LEEWAY_S,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )  # fmt: skip
        except jwt.PyJWTError as exc:
            raise _refused(str(exc)) from exc
        audiences = claims.get("aud") or claims.get("client_id") or []
        if self.audience not in ([audiences] if isinstance(audiences, str) else audiences):
            raise _refused("wrong audience")
        owner = str(claims["sub"])
        return Caller(owner=owner, admin=owner in self.admin_owners, via="jwt")

    async def _key(self, token: str, header: dict[str, Any]) -> Any:
        try:
            if isinstance(self.jwks, jwt.PyJWKClient):  # may fetch the JWKS: off the event loop
                return (await to_thread.run_sync(self.jwks.get_signing_key_from_jwt, token)).key
            return self.jwks[header.get("kid", "")].key
        except (jwt.PyJWKClientError, KeyError) as exc:
            raise _refused("signed by a key the issuer does not publish") from exc


class StreamTokens:
    """Short-lived, single-task, owner-scoped tokens for the stream's query string (EventSource sends no header).

    HS256 with the deployment's own secret (kept in the key store, never in the environment); their
    ``aud`` and algorithm differ from callers' JWTs, so neither is accepted for the other.
    """

    ISSUER = "investmind"
    AUDIENCE = "investmind:stream"

    def __init__(self, secret: str, ttl: dt.timedelta = dt.timedelta(minutes=5)) -> None:
        if len(secret) < 32:
            raise ValueError("the stream-token secret must have at least 32 characters")
        self._secret = secret
        self.ttl = ttl

    def issue(self, owner: str, task_id: str, now: float | None = None) -> tuple[str, int]:
        """(token, expiry as epoch seconds)."""
        issued = int(now if now is not None else time.time())
        expires = issued + int(self.ttl.total_seconds())
        claims = {"iss": self.ISSUER, "aud": self.AUDIENCE, "sub": owner, "tid": task_id, "iat": issued,
                  "nbf": issued, "exp": expires}  # fmt: skip
        return jwt.encode(claims, self._secret, algorithm="HS256"), expires

    def verify(self, token: str, task_id: str) -> Caller:
        """The token's caller, if it is valid and for ``task_id``."""
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], audience=self.AUDIENCE, issuer=self.ISSUER,
                leeway=LEEWAY_S, options={"require": ["exp", "nbf", "sub", "tid"]},
            )  # fmt: skip
        except jwt.PyJWTError as exc:
            raise _refused(str(exc)) from exc
        if claims["tid"] != task_id:
            raise _refused("the stream token is for another analysis")
        return Caller(owner=str(claims["sub"]), via="stream_token", task_id=task_id)
