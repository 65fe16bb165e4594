"""The parts of a snapshot through the cache and the provider chain: fresh copy, next provider, last good copy.

Sync, on the process's bounded thread pool: the caller's thread follows every part's chain at once,
and each provider call runs on a worker under the part's deadline. A source that hangs costs its part that
deadline, then the next provider is asked; the hung call's thread finishes on its own (a thread
cannot be killed), its answer unused.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
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


@dataclass(slots=True)
class _Chain:
    """Where one part's fetch stands: its cached copy, the provider asked now and why others failed."""

    request: PartRequest
    key: str
    cached: CacheEntry | None
    tried: int = 0
    """How many providers were asked; the one being asked is ``providers[tried - 1]``."""
    deadline: float = 0.0
    """When the provider being asked gives up (``time.monotonic``)."""
    failures: list[Failure] = field(default_factory=list)


_POOL = ThreadPoolExecutor(max_workers=32, thread_name_prefix="market-io")
"""The process's workers for provider calls and shared-cache reads and writes, shared by its markets
(a warm worker starts a call at once; a new one must first be scheduled, slow on a busy machine).
A call past its deadline holds its worker until it returns."""

_Write = tuple[str, Future[None], float]
"""A shared-cache write in progress: its key, its future and its deadline (``time.monotonic``)."""


class PartFetcher:
    """Fetches parts through an ordered provider chain, an in-process cache and an optional shared one.

    Parameters
    ----------
    providers
        Tried in order for every part; the first to answer wins.
    memory, shared
        The process's cache and the shared one (None: this process only).
    timeout_s
        The deadline of one provider over one part; then the next is tried.
    live_fresh_s, history_fresh_s
        How long a cached part is used without asking the providers again: for data up to today
        (it changes while the market is open) and for earlier dates (it changes only on revisions).
    cache_timeout_s
        The longest a shared-cache read or write may take before it counts as a miss.
    clock
        Epoch seconds (tests pass a fake one to age the cache without sleeping).
    pool
        Where provider calls and shared-cache reads and writes run (tests: a pool of their own);
        by default the process's, ``_POOL``.
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
        pool: ThreadPoolExecutor | None = None,
    ) -> None:
        if not providers:
            raise ValueError("the provider chain is empty")
        self.providers = tuple(providers)
        self.chain = ",".join(p.name for p in self.providers)
        self.memory = memory if memory is not None else MemoryCache()
        self.shared = shared
        self.flight = SingleFlight()
        self._pool = pool or _POOL
        self._timeout = timeout_s
        self._live_fresh = live_fresh_s
        self._history_fresh = history_fresh_s
        self._cache_timeout = cache_timeout_s
        self._clock = clock

    def fetch(self, request: PartRequest) -> PartResult:
        """The part, never raising: a part no provider has comes back ``missing`` with the reasons."""
        return self.fetch_all([request])[request.part]

    def fetch_all(self, requests: Iterable[PartRequest]) -> dict[str, PartResult]:
        """Each requested part (by name), all fetched at once; a part another thread is fetching is
        waited for, not fetched again."""
        batch = list(requests)
        if len({r.part for r in batch}) < len(batch):
            raise ValueError("fetch_all takes one request per part")
        flights = {r.part: (r, *self.flight.board(r.key(self.chain))) for r in batch}
        led = [r for r, _, leader in flights.values() if leader]
        results: dict[str, PartResult] = {}
        error: BaseException | None = None
        try:
            results = self._fetch(led)
        except BaseException as exc:
            error = exc
            raise
        finally:
            for request, flight, leader in flights.values():
                if leader:
                    self.flight.land(request.key(self.chain), flight, results.get(request.part), error)
        # The flights led elsewhere end within their chain's deadlines: each provider has its own.
        return {part: flight.result() for part, (_, flight, _) in flights.items()}

    def remember(self, pairs: Iterable[tuple[PartRequest, PartResult]]) -> None:
        """Cache each result (as fetched, with its time and source) under its request as well."""
        writes: list[_Write] = []
        for request, result in pairs:
            if not result.missing and result.source is not None and result.fetched_at is not None:
                entry = CacheEntry(result.value, result.source, result.fetched_at)
                writes.extend(self._store(request.key(self.chain), entry))
        self._settle(writes)

    def _fresh(self, entry: CacheEntry, request: PartRequest, now: float) -> bool:
        today = dt.datetime.fromtimestamp(now, CHINA).date()
        live = request.end is None or request.end >= today
        return now - entry.fetched_at < (self._live_fresh if live else self._history_fresh)

    def _fetch(self, requests: list[PartRequest]) -> dict[str, PartResult]:
        results: dict[str, PartResult] = {}
        asking: dict[Future[Any], _Chain] = {}
        now = self._clock()
        for chain in self._cached(requests):
            cached = chain.cached
            if cached is not None and self._fresh(cached, chain.request, now):
                results[chain.request.part] = PartResult(
                    chain.request.part, cached.value, cached.source, cached.fetched_at, stale=False
                )
            else:
                self._ask_next(chain, asking, results)
        writes: list[_Write] = []
        while asking:
            soonest = min(chain.deadline for chain in asking.values())
            done, _ = wait(asking, timeout=max(0.0, soonest - time.monotonic()), return_when=FIRST_COMPLETED)
            moment = time.monotonic()
            for future in [f for f, chain in asking.items() if f in done or chain.deadline <= moment]:
                chain = asking.pop(future)
                value = self._answer(chain, future)
                if value is None:
                    self._ask_next(chain, asking, results)
                    continue
                entry = CacheEntry(value, self.providers[chain.tried - 1].name, self._clock())
                writes.extend(self._store(chain.key, entry))
                results[chain.request.part] = PartResult(
                    chain.request.part, value, entry.source, entry.fetched_at, False, tuple(chain.failures)
                )
        self._settle(writes)
        return results

    def _ask_next(self, chain: _Chain, asking: dict[Future[Any], _Chain], results: dict[str, PartResult]) -> None:
        """Ask the chain's next provider, or, when none is left, settle for the cached copy or nothing."""
        request = chain.request
        if chain.tried < len(self.providers):
            provider = self.providers[chain.tried]
            chain.tried += 1
            chain.deadline = time.monotonic() + self._timeout
            asking[self._pool.submit(_CALLS[request.part], provider, request)] = chain
            return
        failures, cached = tuple(chain.failures), chain.cached
        if cached is not None:
            logger.warning("every provider failed; serving the last good copy", extra={"cache_key": chain.key})
            results[request.part] = PartResult(
                request.part, cached.value, cached.source, cached.fetched_at, True, failures
            )
        else:
            results[request.part] = PartResult(request.part, None, None, None, stale=False, failures=failures)

    def _answer(self, chain: _Chain, future: Future[Any]) -> Any:
        """The provider's answer in the part's shape, or None (the failure recorded) when it has none in time."""
        request, name = chain.request, self.providers[chain.tried - 1].name
        try:
            value = conform(request.part, _within(future, "past the part's deadline"))
            _check_reach(request, value, name)
        except PartUnavailable as exc:
            chain.failures.append(Failure(name, f"{name}: {exc}", transient=False))
        except TimeoutError:
            chain.failures.append(Failure(name, f"{name}: no answer in {self._timeout:g}s", transient=True))
        except Exception as exc:  # any failure of one source is the next source's turn
            reason = f"{name}: {type(exc).__name__}: {exc}"[:300]
            logger.warning("market data provider failed", extra={"part": request.part, "reason": reason})
            chain.failures.append(Failure(name, reason, transient=True))
        else:
            return value
        return None

    def _cached(self, requests: list[PartRequest]) -> list[_Chain]:
        """A chain per request with its cached copy: the process's, or the shared one's when newer."""
        keys = [r.key(self.chain) for r in requests]
        chains = [_Chain(r, key, self.memory.get(key)) for r, key in zip(requests, keys, strict=True)]
        if self.shared is None:
            return chains
        now = self._clock()
        reads = {
            self._pool.submit(self.shared.get, c.key): c
            for c in chains
            if c.cached is None or not self._fresh(c.cached, c.request, now)
        }
        wait(reads, timeout=self._cache_timeout)
        for future, chain in reads.items():
            try:
                shared = _within(future, f"no answer in {self._cache_timeout:g}s")
            except Exception as exc:  # a cache outage must not fail the analysis: fetch instead
                logger.warning(
                    "shared market cache read failed", extra={"cache_key": chain.key, "error": repr(exc)[:200]}
                )
                continue
            if shared is not None and (chain.cached is None or shared.fetched_at > chain.cached.fetched_at):
                self.memory.put(chain.key, shared)
                chain.cached = shared
        return chains

    def _store(self, key: str, entry: CacheEntry) -> list[_Write]:
        """Cache ``entry`` here, and start writing it to the shared cache (see ``_settle``)."""
        self.memory.put(key, entry)
        if self.shared is None:
            return []
        return [(key, self._pool.submit(self.shared.put, key, entry), time.monotonic() + self._cache_timeout)]

    def _settle(self, writes: list[_Write]) -> None:
        """Wait for the shared-cache writes, each until its deadline; one that fails is only logged."""
        for key, future, deadline in writes:
            wait([future], timeout=max(0.0, deadline - time.monotonic()))
            try:
                _within(future, f"no answer in {self._cache_timeout:g}s")
            except Exception as exc:
                logger.warning("shared market cache write failed", extra={"cache_key": key, "error": repr(exc)[:200]})


def _within(future: Future[Any], late: str) -> Any:
    """The result of a ``future`` whose deadline has passed; ``TimeoutError(late)`` if it has none yet."""
    if not future.done():
        future.cancel()  # one still queued (every worker busy) never runs; one running finishes unused
        raise TimeoutError(late)
    return future.result()


def _check_reach(request: PartRequest, value: Any, provider: str) -> None:
    what = _MUST_REACH.get(request.part)
    if what is None or request.end is None:
        return
    last = value.index[-1].date()
    if (request.end - last).days > MAX_GAP_DAYS:
        label = what.format(symbol=request.symbol)
        raise PartUnavailable(f"no {provider} {label} after {last.isoformat()}")
