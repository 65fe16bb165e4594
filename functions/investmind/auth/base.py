"""The caller, the stored form of an API key, and the key store's port."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["user", "admin"]


class Caller(BaseModel):
    """An authenticated caller: ``owner`` owns what it creates; an admin may manage every owner's keys."""

    model_config = ConfigDict(frozen=True)

    owner: str
    admin: bool = False
    via: Literal["api_key", "jwt", "stream_token"]
    task_id: str | None = None
    """A stream token's one task (None for the other credentials)."""


class ApiKeyRecord(BaseModel):
    """One API key as stored: its public id and the SHA-256 digest of its secret, never the secret."""

    key_id: str
    owner: str = Field(min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=100)
    role: Role = "user"
    digest: str = Field(repr=False)
    created_at: str
    last_used_at: str | None = None
    revoked_at: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def public(self) -> dict[str, object]:
        """What the API shows of a key: everything but the digest."""
        return self.model_dump(exclude={"digest"})


class KeyStore(Protocol):
    """Where API keys (and the deployment's stream-token secret) are kept: ``KeysTable`` on AWS."""

    async def put(self, record: ApiKeyRecord) -> None:
        """Store a new key (its ``key_id`` must be new)."""
        ...

    async def get(self, key_id: str) -> ApiKeyRecord | None: ...

    async def list(self, owner: str | None) -> list[ApiKeyRecord]:
        """The keys of ``owner``, or of every owner (None), newest first."""
        ...

    async def revoke(self, key_id: str, at: str) -> ApiKeyRecord | None:
        """Mark the key revoked (idempotent: a revoked key keeps its first ``revoked_at``); None if unknown."""
        ...

    async def touch(self, key_id: str, at: str) -> None:
        """Record a use of the key."""
        ...

    async def secret(self, name: str, candidate: str) -> str:
        """The deployment's secret ``name``: the stored one, or ``candidate`` stored now if there is none."""
        ...
