"""The key store in memory (tests), with the DynamoDB adapter's semantics."""

from __future__ import annotations

import threading

from ..auth.base import ApiKeyRecord
from ..errors import Conflict


class AsyncMemoryKeyStore:
    """:class:`~investmind.auth.base.KeyStore` in a dict."""

    def __init__(self) -> None:
        self.keys: dict[str, ApiKeyRecord] = {}
        self.secrets: dict[str, str] = {}
        self._lock = threading.Lock()

    async def put(self, record: ApiKeyRecord) -> None:
        with self._lock:
            if record.key_id in self.keys:
                raise Conflict(f"API key {record.key_id} already exists")
            self.keys[record.key_id] = record

    async def get(self, key_id: str) -> ApiKeyRecord | None:
        return self.keys.get(key_id)

    async def list(self, owner: str | None) -> list[ApiKeyRecord]:
        mine = [r for r in self.keys.values() if owner is None or r.owner == owner]
        return sorted(mine, key=lambda r: (r.created_at, r.key_id), reverse=True)

    async def revoke(self, key_id: str, at: str) -> ApiKeyRecord | None:
        with self._lock:
            record = self.keys.get(key_id)
            if record is not None and not record.revoked:
                record = self.keys[key_id] = record.model_copy(update={"revoked_at": at})
            return record

    async def touch(self, key_id: str, at: str) -> None:
        with self._lock:
            if key_id in self.keys:
                self.keys[key_id] = self.keys[key_id].model_copy(update={"last_used_at": at})

    async def secret(self, name: str, candidate: str) -> str:
        with self._lock:
            return self.secrets.setdefault(name, candidate)
