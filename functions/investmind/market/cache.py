"""Caching parts: the port a shared cache implements, the in-process cache, and single-flight fetching."""

from __future__ import annotations

import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import ProviderTimeout


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """One part as a provider returned it, and when: ``fetched_at`` in epoch seconds."""

    value: Any
    source: str
    fetched_at: float


class PartCache(Protocol):
    """A cache of parts by key. Implementations never raise for a miss; errors are the caller's to absorb.

    Called from the fetcher's worker threads, several at once, each call under a deadline.
    """

    def get(self, key: str) -> CacheEntry | None: ...

    def put(self, key: str, entry: CacheEntry) -> None: ...


class MemoryCache:
    """The process's own copy of recent parts (least recently used out first).

    Values are shared between snapshots as they are, not copied: treat them as read-only.
    """

    def __init__(self, max_entries: int = 256) -> None:
        self._entries: OrderedDict[str, CacheEntry] = OrderedDict()
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, key: str) -> CacheEntry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: CacheEntry) -> None:
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
    """Callers on any thread asking for the same key at once share one fetch of it.

    The first caller of a key leads its flight: it fetches, then ``land``s the result. Callers that
    ``board`` while the flight is up get the same future and wait on it instead of fetching again.
    """

    def __init__(self) -> None:
        self._flights: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()
        self.leaders = 0
        """How many fetches actually ran (for tests and metrics)."""
        self.joined = 0
        """How many callers joined a fetch already in flight instead of making their own."""

    def board(self, key: str) -> tuple[Future[Any], bool]:
        """The flight for ``key`` and True when the caller leads it (and must ``land`` it)."""
        with self._lock:
            flight = self._flights.get(key)
            if flight is not None:
                self.joined += 1
                return flight, False
            flight = self._flights[key] = Future()
            self.leaders += 1
            return flight, True

    def land(self, key: str, flight: Future[Any], result: Any = None, error: BaseException | None = None) -> None:
        """End a flight the caller leads: its followers get ``result``, or ``error`` raised."""
        with self._lock:
            if self._flights.get(key) is flight:
                del self._flights[key]
        if flight.done():
            return
        if error is None:
            flight.set_result(result)
        else:
            # A leader interrupted (KeyboardInterrupt, SystemExit) still answers its followers with an
            # error they can act on.
            flight.set_exception(error if isinstance(error, Exception) else ProviderTimeout(f"fetching {key} stopped"))
