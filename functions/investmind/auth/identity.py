"""From an ``Authorization`` header to a :class:`Caller`: an API key, or a JWT of the configured issuer."""

from __future__ import annotations

from ..errors import Unauthorized
from .api_keys import PREFIX, ApiKeys
from .base import Caller
from .tokens import JwtVerifier


class Identity:
    """Authenticates requests; with neither keys nor an issuer configured it lets nobody in (fails closed)."""

    def __init__(self, keys: ApiKeys | None, jwts: JwtVerifier | None) -> None:
        self.keys = keys
        self.jwts = jwts

    async def authenticate(self, authorization: str | None) -> Caller:
        if not authorization or not authorization.strip():
            raise Unauthorized("authentication required: send Authorization: Bearer <API key or token>")
        scheme, _, credential = authorization.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise Unauthorized("the Authorization header must be 'Bearer <API key or token>'", {"presented": True})
        if credential.startswith(PREFIX + "_"):
            if self.keys is None:
                raise Unauthorized("this deployment accepts no API keys", {"presented": True})
            return await self.keys.authenticate(credential)
        if self.jwts is None:
            raise Unauthorized("this deployment has no token issuer configured", {"presented": True})
        return await self.jwts.authenticate(credential)
