"""One part of a snapshot through the cache and the provider chain: fresh copy, next provider, last good copy."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .base import MarketDataProvider, PartUnavailable
from .cache import CacheEntry, MemoryCache, PartCache, SingleFlight
from .frames import conform
from .trading import CHINA, MAX_GAP_DAYS

logger = logging.getLogger(__name__)

_CALLS: dict[str, Callable[[MarketDataProvider, PartRequest], Any]] = {
    "bars": lambda p, r: p.daily_bars(r.symbol, r.end),
    "valuation": lambda p, r: p.valuation(r.symbol, r.end),
    "fundamentals": lambda p, r: p.fundamentals(r.symbol, r.end),
    "index_bars": lambda p, r: p.index_bars(r.end),
    "profile": lambda p, r: p.profile(r.symbol, r.end),
    "peers": lambda p, r: p.peers(r.symbol, r.end),
    "universe": lambda p, r: p.universe(r.end),
    "macro": lambda p, r: p.macro(r.end),
}
_MUST_REACH = {"bars": "data for {symbol}", "index_bars": "CSI 300 data"}
"""Daily parts that must reach within MAX_GAP_DAYS of the date asked for; a source that stops
earlier has no data for that date, and the next one may."""


@dataclass(frozen=True, slots=True)
class PartRequest:
    """One part of one stock (None for market-wide parts) up to ``end`` (None: the latest)."""

    part: str
    symbol: str | None
    end: dt.date | None

    def key(self, chain: str) -> str:
        return f"{chain}|{self.part}|{self.symbol or '*'}|{self.end.isoformat() if self.end else 'latest'}"


@dataclass(frozen=True, slots=True)
class Failure:
    """Why one provider did not supply a part; ``transient`` when trying again later may succeed."""

    provider: str
    reason: str
    transient: bool


@dataclass(frozen=True, slots=True)
class PartResult:
    part: str
    value: Any
    """None when no provider and no cached copy had the part."""
    source: str | None
    fetched_at: float | None
    stale: bool
    """True when every provider failed and this is the last good cached copy."""
    failures: tuple[Failure, ...] = ()

    @property
    def missing(self) -> bool:
        return self.value is None


class PartFetcher:
    """Fetches parts through an ordered provider chain, an in-process cache and an optional shared one.

    Parameters
    ----------
    providers
        Tried in order for every part; the first to answer wins.
    memory, shared
        The process's cache and the shared one (None: this process only).
    timeout_s
        The longest one provider may take over one part; then the next is tried.
    live_fresh_s, history_fresh_s
        How long a cached part is used without asking the providers again: for data up to today
        (it changes while the market is open) and for earlier dates (it changes only on revisions).
    cache_timeout_s
        The longest a shared-cache read or write may take before it counts as a miss.
    clock
        Epoch seconds (tests pass a fake one to age the cache without sleeping).
    """

    def __init__(
        self,
        providers: Sequence[MarketDataProvider],
        *,
        memory: MemoryCache | None = None,
        shared: PartCache | None = None,
        timeout_s: float = 8.0,
        live_fresh_s: float = 900.0,
        history_fresh_s: float = 86400.0,
        cache_timeout_s: float = 3.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not providers:
            raise ValueError("the provider chain is empty")
        self.providers = tuple(providers)
        self.chain = ",".join(p.name for p in self.providers)
        self.memory = memory if memory is not None else MemoryCache()
        self.shared = shared
        self.flight = SingleFlight()
        self._timeout = timeout_s
        self._live_fresh = live_fresh_s
        self._history_fresh = history_fresh_s
        self._cache_timeout = cache_timeout_s
        self._clock = clock

    async def fetch(self, request: PartRequest) -> PartResult:
        """The part, never raising: a part no provider has comes back ``missing`` with the reasons."""
        key = request.key(self.chain)
        return await self.flight.run(key, lambda: self._fetch(request, key))

    async def remember(self, request: PartRequest, result: PartResult) -> None:
        """Cache ``result`` (as fetched, with its time and source) under ``request`` as well."""
        if not result.missing and result.source is not None and result.fetched_at is not None:
            await self._store(request.key(self.chain), CacheEntry(result.value, result.source, result.fetched_at))

    def _fresh(self, entry: CacheEntry, request: PartRequest, now: float) -> bool:
        today = dt.datetime.fromtimestamp(now, CHINA).date()
        live = request.end is None or request.end >= today
        return now - entry.fetched_at < (self._live_fresh if live else self._history_fresh)

    async def _fetch(self, request: PartRequest, key: str) -> PartResult:
        cached = await self._cached(key, request)
        if cached is not None and self._fresh(cached, request, self._clock()):
            return PartResult(request.part, cached.value, cached.source, cached.fetched_at, stale=False)
        failures = []
        for provider in self.providers:
            try:
                value = await asyncio.wait_for(_CALLS[request.part](provider, request), self._timeout)
                value = conform(request.part, value)
                _check_reach(request, value, provider.name)
            except PartUnavailable as exc:
                failures.append(Failure(provider.name, f"{provider.name}: {exc}", transient=False))
            except TimeoutError:
                failures.append(Failure(provider.name, f"{provider.name}: no answer in {self._timeout:g}s", True))
            except Exception as exc:  # any failure of one source is the next source's turn
                reason = f"{provider.name}: {type(exc).__name__}: {exc}"[:300]
                logger.warning("market data provider failed", extra={"part": request.part, "reason": reason})
                failures.append(Failure(provider.name, reason, transient=True))
            else:
                entry = CacheEntry(value, provider.name, self._clock())
                await self._store(key, entry)
                return PartResult(request.part, value, provider.name, entry.fetched_at, False, tuple(failures))
        if cached is not None:
            logger.warning("every provider failed; serving the last good copy", extra={"cache_key": key})
            return PartResult(request.part, cached.value, cached.source, cached.fetched_at, True, tuple(failures))
        return PartResult(request.part, None, None, None, stale=False, failures=tuple(failures))

    async def _cached(self, key: str, request: PartRequest) -> CacheEntry | None:
        entry = await self.memory.get(key)
        if self.shared is None or (entry is not None and self._fresh(entry, request, self._clock())):
            return entry
        try:
            shared = await asyncio.wait_for(self.shared.get(key), self._cache_timeout)
        except Exception as exc:  # a cache outage must not fail the analysis: fetch instead
            logger.warning("shared market cache read failed", extra={"cache_key": key, "error": repr(exc)[:200]})
            return entry
        if shared is not None and (entry is None or shared.fetched_at > entry.fetched_at):
            await self.memory.put(key, shared)
            return shared
        return entry

    async def _store(self, key: str, entry: CacheEntry) -> None:
        await self.memory.put(key, entry)
        if self.shared is None:
            return
        try:
            await asyncio.wait_for(self.shared.put(key, entry), self._cache_timeout)
        except Exception as exc:
            logger.warning("shared market cache write failed", extra={"cache_key": key, "error": repr(exc)[:200]})


def _check_reach(request: PartRequest, value: Any, provider: str) -> None:
    what = _MUST_REACH.get(request.part)
    if what is None or request.end is None:
        return
    last = value.index[-1].date()
    if (request.end - last).days > MAX_GAP_DAYS:
        label = what.format(symbol=request.symbol)
        raise PartUnavailable(f"no {provider} {label} after {last.isoformat()}")
