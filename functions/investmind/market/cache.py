"""Caching parts: the port a shared cache implements, the in-process cache, and single-flight fetching."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from ..errors import ProviderTimeout

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One part as a provider returned it, and when: ``fetched_at`` in epoch seconds."""

    value: Any
    source: str
    fetched_at: float


class PartCache(Protocol):
    """A cache of parts by key. Implementations never raise for a miss; errors are the caller's to absorb."""

    async def get(self, key: str) -> CacheEntry | None: ...

    async def put(self, key: str, entry: CacheEntry) -> None: ...


class MemoryCache:
    """The process's own copy of recent parts (least recently used out first).

    Values are shared between snapshots as they are, not copied: treat them as read-only.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    async def get(self, key: str) -> CacheEntry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    async def put(self, key: str, entry: CacheEntry) -> None:
        with self._lock:
            current = self._entries.get(key)
            if current is None or current.fetched_at <= entry.fetched_at:
                self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class SingleFlight:
    """Concurrent callers with the same key await one call of ``fn`` and all get its result.

    Keyed calls are tracked in ``concurrent.futures.Future`` objects under a thread lock, not in
    asyncio futures, so callers on different threads and event loops share a flight too (the
    embedded runtime runs agents on threads; tests drive it from their own loops).
    """

    def __init__(self) -> None:
        self._calls: dict[str, concurrent.futures.Future[Any]] = {}
        self._lock = threading.Lock()
        self.leaders = 0
        """How many calls actually ran (for tests and metrics)."""
        self.joined = 0
        """How many callers joined a call already in flight instead of making their own."""

    async def run(self, key: str, fn: Callable[[], Awaitable[T]]) -> T:
        with self._lock:
            flight = self._calls.get(key)
            leader = flight is None
            if leader:
                flight = self._calls[key] = concurrent.futures.Future()
                self.leaders += 1
            else:
                self.joined += 1
        assert flight is not None
        if not leader:
            # shield: a follower that gives up (its own timeout) must not cancel the shared flight.
            return await asyncio.shield(asyncio.wrap_future(flight))
        try:
            result = await fn()
        except BaseException as exc:
            # A cancelled leader still answers its followers, with an error they can act on.
            failure = exc if isinstance(exc, Exception) else ProviderTimeout(f"fetching {key} was cancelled")
            if not flight.done():
                flight.set_exception(failure)
            raise
        else:
            if not flight.done():
                flight.set_result(result)
            return result
        finally:
            with self._lock:
                if self._calls.get(key) is flight:
                    del self._calls[key]
