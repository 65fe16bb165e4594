"""Who is calling: API keys, JWTs from an issuer's JWKS and stream tokens, on ports only (docs/security.md)."""

from .api_keys import ApiKeys, IssuedKey, parse_api_key
from .base import ApiKeyRecord, Caller, KeyStore
from .identity import Identity
from .tokens import JwtVerifier, StreamTokens

__all__ = [
    "ApiKeyRecord",
    "ApiKeys",
    "Caller",
    "Identity",
    "IssuedKey",
    "JwtVerifier",
    "KeyStore",
    "StreamTokens",
    "parse_api_key",
]
