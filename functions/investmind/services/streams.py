"""Open streams per owner, capped across every API process: a lease per stream (``StreamLeases``).

Viewers must not starve the pipeline (docs/performance.md, viewer capacity): each open stream holds an
API execution, so one owner may hold at most ``limit`` at once; beyond, ``TooManyRequests``. A lease
runs out ``ttl_s`` after it was last renewed, so a process that dies mid-stream frees its slots
within ``ttl_s``; a live stream renews it as it sends.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import TooManyRequests
from .ports import StreamLeases


@dataclass
class OpenStream:
    """One held lease: :meth:`keep_alive` as the stream sends, :meth:`close` once it ends (idempotent)."""

    leases: StreamLeases
    owner: str
    lease_id: str
    ttl_s: int
    clock: Callable[[], float] = time.monotonic
    renewed_at: float = field(default=0.0)
    closed: bool = False

    def __post_init__(self) -> None:
        self.renewed_at = self.clock()

    async def keep_alive(self) -> None:
        """Renew the lease once a third of its life has gone (cheap to call on every frame)."""
        if not self.closed and self.clock() - self.renewed_at >= self.ttl_s / 3:
            self.renewed_at = self.clock()
            await self.leases.renew(self.owner, self.lease_id, self.ttl_s)

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self.leases.release(self.owner, self.lease_id)


class StreamCap:
    """At most ``limit`` open streams per owner, each leased for ``ttl_s`` seconds at a time."""

    def __init__(
        self, leases: StreamLeases, limit: int, ttl_s: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.leases = leases
        self.limit = limit
        self.ttl_s = ttl_s
        self._clock = clock

    async def open(self, owner: str) -> OpenStream:
        lease_id = uuid.uuid4().hex
        wait_s = await self.leases.acquire(owner, lease_id, self.limit, self.ttl_s)
        if wait_s is not None:
            retry_after = min(max(1, math.ceil(wait_s)), self.ttl_s)
            raise TooManyRequests(f"at most {self.limit} open streams per owner", retry_after, {"limit": self.limit})
        return OpenStream(self.leases, owner, lease_id, self.ttl_s, self._clock)


class MemoryStreamLeases:
    """:class:`~investmind.services.ports.StreamLeases` in this process (tests, and the default when the composition
    root gives none); ``clock`` gives epoch seconds. The DynamoDB adapter's rules in a dict."""

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
