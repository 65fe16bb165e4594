"""Stream leases in one process (tests, and any single-process deployment): the DynamoDB adapter's rules in a dict."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class MemoryStreamLeases:
    """:class:`~investmind.services.ports.StreamLeases` in memory; ``clock`` gives epoch seconds."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._leases: dict[str, dict[str, float]] = {}
        self._lock = asyncio.Lock()

    async def acquire(self, owner: str, lease_id: str, limit: int, ttl_s: int) -> float | None:
        async with self._lock:
            now = self._clock()
            live = {lid: end for lid, end in self._leases.get(owner, {}).items() if end > now}
            if len(live) >= limit and lease_id not in live:
                self._leases[owner] = live
                return min(live.values()) - now
            live[lease_id] = now + ttl_s
            self._leases[owner] = live
            return None

    async def renew(self, owner: str, lease_id: str, ttl_s: int) -> bool:
        async with self._lock:
            mine = self._leases.get(owner, {})
            if lease_id not in mine:
                return False
            mine[lease_id] = self._clock() + ttl_s
            return True

    async def release(self, owner: str, lease_id: str) -> None:
        async with self._lock:
            self._leases.get(owner, {}).pop(lease_id, None)

    def held(self, owner: str) -> int:
        """Live leases of ``owner`` (for tests and inspection)."""
        now = self._clock()
        return sum(1 for end in self._leases.get(owner, {}).values() if end > now)
