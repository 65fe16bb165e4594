"""API keys: ``imk_<key id>_<secret>``, kept as the id and a SHA-256 digest of the secret (docs/security.md).

The secret is 256 random bits, so one unsalted SHA-256 is enough (nothing to brute-force, unlike a
password); the check compares digests in constant time. The key itself exists only in the answer
that creates it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from ..errors import Forbidden, InvalidRequest, NotFound, Unauthorized
from ..models import utc_now_iso
from .base import ApiKeyRecord, Caller, KeyStore, Role

PREFIX = "imk"
_KEY = re.compile(r"^imk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")
TOUCH_EVERY = dt.timedelta(seconds=60)
"""``last_used_at`` is written at most this often per key, so a busy key costs no write per request."""


@dataclass(frozen=True, slots=True)
class IssuedKey:
    record: ApiKeyRecord
    key: str
    """The key itself: shown once, to whoever created it."""


def parse_api_key(key: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key, else None."""
    match = _KEY.match(key)
    return (match[1], match[2]) if match else None


def digest(key_id: str, secret: str) -> str:
    # The id is hashed in too, so a digest cannot be moved to another key's item.
    return hashlib.sha256(f"{key_id}:{secret}".encode()).hexdigest()


def new_key() -> tuple[str, str, str]:
    """(key, key id, secret) of a fresh random key."""
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    return f"{PREFIX}_{key_id}_{secret}", key_id, secret


class ApiKeys:
    """Create, list, revoke and verify API keys on a :class:`KeyStore`.

    Parameters
    ----------
    store
        The key store.
    admin_owners
        Owners who are admins whatever their credential (e.g. a configured Cognito ``sub``).
    """

    def __init__(self, store: KeyStore, admin_owners: frozenset[str] = frozenset()) -> None:
        self.store = store
        self.admin_owners = admin_owners

    async def create(self, by: Caller, owner: str, name: str, role: Role = "user", key: str | None = None) -> IssuedKey:
        """A new key for ``owner``: a caller makes keys for itself, an admin for anyone (and admin keys).

        ``key`` registers a given well-formed key instead of a random one (an operator's configured key).
        """
        if (owner != by.owner or role == "admin") and not by.admin:
            raise Forbidden("only an admin may create keys for another owner, or admin keys", {"owner": owner})
        if not owner.strip() or not name.strip():
            raise InvalidRequest("a key needs an owner and a name")
        if key is None:
            key, key_id, secret = new_key()
        elif (parsed := parse_api_key(key)) is None:
            raise InvalidRequest(f"an API key looks like {PREFIX}_<16 hex digits>_<43 characters of base64url>")
        else:
            key_id, secret = parsed
        record = ApiKeyRecord(
            key_id=key_id, owner=owner, name=name, role=role, digest=digest(key_id, secret), created_at=utc_now_iso()
        )
        await self.store.put(record)
        return IssuedKey(record, key)

    async def list(self, by: Caller, owner: str | None = None) -> list[ApiKeyRecord]:
        """The caller's keys; an admin's may name any owner, or all (``owner`` None)."""
        if not by.admin:
            if owner not in (None, by.owner):
                raise Forbidden("only an admin may list another owner's keys", {"owner": owner})
            owner = by.owner
        return await self.store.list(owner)

    async def revoke(self, by: Caller, key_id: str) -> ApiKeyRecord:
        """Revoke a key the caller owns (an admin: any key); another owner's key is not found."""
        record = await self.store.get(key_id)
        if record is None or (record.owner != by.owner and not by.admin):
            raise NotFound(f"API key {key_id} not found")
        revoked = await self.store.revoke(key_id, utc_now_iso())
        if revoked is None:
            raise NotFound(f"API key {key_id} not found")
        return revoked

    async def authenticate(self, key: str) -> Caller:
        parsed = parse_api_key(key)
        record = await self.store.get(parsed[0]) if parsed else None
        if parsed is None or record is None or not hmac.compare_digest(record.digest, digest(*parsed)):
            raise Unauthorized("unknown API key", {"presented": True})
        if record.revoked:
            raise Unauthorized("the API key was revoked", {"presented": True})
        now = dt.datetime.now(dt.UTC)
        if record.last_used_at is None or now - dt.datetime.fromisoformat(record.last_used_at) >= TOUCH_EVERY:
            await self.store.touch(record.key_id, utc_now_iso())
        return Caller(
            owner=record.owner, admin=record.role == "admin" or record.owner in self.admin_owners, via="api_key"
        )
