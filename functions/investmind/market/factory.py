"""Building a market from its configuration and already-built collaborators: no settings, no AWS clients.

The composition roots (``composition.market`` for the Lambdas) turn settings into the config and the
shared cache and call ``build_market``; domain code receives the built ``Market``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .assemble import Market
from .base import PROVIDER_NAMES, MarketDataProvider
from .cache import MemoryCache, PartCache
from .parts import PartFetcher

if TYPE_CHECKING:
    from ..settings import Settings


@dataclass(frozen=True, slots=True)
class MarketConfig:
    """What a deployment chooses (``INVESTMIND_DATA_*``, ``INVESTMIND_MARKET_CACHE_FRESH_S``)."""

    providers: tuple[str, ...] = ("bundled",)
    timeout_s: float = 8.0
    live_fresh_s: float = 900.0
    simulated_data_ms: int = 0
    """Benchmarks only: every provider answers each part this much later."""
    concurrent: bool = True
    """Benchmarks only: False fetches the parts one after another."""


class SlowProvider:
    """Benchmarks only: ``inner`` answering every part ``delay_s`` later, as a distant source would."""

    def __init__(self, inner: MarketDataProvider, delay_s: float) -> None:
        self._inner = inner
        self._delay = delay_s
        self.name = inner.name
        self.remote = inner.remote

    def __getattr__(self, method: str) -> Callable[..., Any]:
        call = getattr(self._inner, method)

        def slow(*args: Any) -> Any:
            time.sleep(self._delay)  # the network's latency, on the worker thread as a real call's would be
            return call(*args)

        return slow


def _provider(name: str, config: MarketConfig, token: Callable[[], str], modules: dict[str, Any]) -> Any:
    if name == "bundled":
        from .bundled import BundledProvider

        return BundledProvider()
    if name == "akshare":
        from .providers.akshare import AkshareProvider

        return AkshareProvider(modules.get("akshare"), call_timeout_s=config.timeout_s)
    if name == "tushare":
        from .providers.tushare import TushareProvider

        return TushareProvider(token, api_factory=modules.get("tushare"), call_timeout_s=config.timeout_s)
    if name == "baostock":
        from .providers.baostock import BaostockProvider

        return BaostockProvider(modules.get("baostock"), call_timeout_s=config.timeout_s)
    raise ValueError(f"unknown market data provider {name!r} (expected some of {', '.join(PROVIDER_NAMES)})")


def build_market(
    config: MarketConfig,
    *,
    token: Callable[[], str] = lambda: "",
    cache: PartCache | None = None,
    modules: dict[str, Any] | None = None,
) -> Market:
    """A ``Market`` for ``config``.

    Parameters
    ----------
    token
        The tushare token, fetched when tushare is first asked for something.
    cache
        The shared part cache (``adapters.market_cache.DynamoPartCache``). Used only when the chain
        has a remote provider: a chain of local ones (the bundled default) reads files faster.
    modules
        Stand-ins for the libraries (tests): ``{"akshare": module, "tushare": api_factory, "baostock": module}``.
    """
    providers = [_provider(name, config, token, modules or {}) for name in config.providers]
    if config.simulated_data_ms:
        providers = [SlowProvider(p, config.simulated_data_ms / 1000) for p in providers]
    shared = cache if any(p.remote for p in providers) else None
    fetcher = PartFetcher(
        providers, memory=MemoryCache(), shared=shared, timeout_s=config.timeout_s, live_fresh_s=config.live_fresh_s
    )
    return Market(fetcher, concurrent=config.concurrent)


def config_from(settings: Settings) -> MarketConfig:
    return MarketConfig(
        providers=settings.data_chain,
        timeout_s=settings.data_timeout_s,
        live_fresh_s=settings.market_cache_fresh_s,
        simulated_data_ms=settings.simulated_data_ms,
    )
