"""``/auth/config``: how a browser signs in to this deployment. Outside ``/v1`` (every ``/v1`` route needs a
caller), like ``/healthz``.

The console reads it before anyone has signed in: with an OAuth authorization server configured (on AWS,
the template's Cognito hosted UI) it offers "Sign in" by the authorization-code flow with PKCE
(docs/security.md); without one, sign-in is by API key alone. Nothing here is a secret: a public client
has no secret, and the endpoints are the authorization server's published ones.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ..deps import SettingsDep

router = APIRouter(prefix="/auth", tags=["auth"])


class OAuthClient(BaseModel):
    """A public OAuth 2 client for the authorization-code flow with PKCE (S256)."""

    authorize_url: str
    token_url: str
    logout_url: str
    client_id: str
    scopes: list[str]


class AuthConfig(BaseModel):
    api_keys: bool = True
    """`Authorization: Bearer <API key>` is always accepted."""
    oauth: OAuthClient | None
    """The browser sign-in; null when the deployment has none configured."""


@router.get("/config")
async def get_auth_config(settings: SettingsDep) -> AuthConfig:
    if not (settings.oauth_domain and settings.oauth_client_id):
        return AuthConfig(oauth=None)
    base = settings.oauth_domain.rstrip("/")
    # Cognito's hosted-UI endpoints (also those of most OAuth servers under one base URL).
    return AuthConfig(
        oauth=OAuthClient(
            authorize_url=f"{base}/oauth2/authorize",
            token_url=f"{base}/oauth2/token",
            logout_url=f"{base}/logout",
            client_id=settings.oauth_client_id,
            scopes=settings.oauth_scopes.split(),
        )
    )
