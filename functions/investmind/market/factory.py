"""Building a process's market from configuration: the provider chain, the caches, the timeouts.

The one place that turns settings into providers; domain code receives the built ``Market``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .assemble import SnapshotAssembler
from .base import PROVIDER_NAMES, MarketDataProvider
from .cache import MemoryCache
from .parts import PartFetcher
from .service import Market

if TYPE_CHECKING:
    from pydantic import SecretStr

    from ..settings import Settings
    from .snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class MarketConfig:
    """What a deployment chooses (``INVESTMIND_DATA_*`` and ``INVESTMIND_MARKET_CACHE_*``)."""

    providers: tuple[str, ...] = ("bundled",)
    timeout_s: float = 8.0
    cache_table: str = ""
    live_fresh_s: float = 900.0
    keep_days: float = 7.0
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

        async def slow(*args: Any) -> Any:
            await asyncio.sleep(self._delay)
            return await call(*args)

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
    raise ValueError(f"unknown market data provider {name!r} (expected some of {', '.join(PROVIDER_NAMES)})")


def build_market(
    config: MarketConfig,
    *,
    token: Callable[[], str] = lambda: "",
    dynamodb: Any = None,
    modules: dict[str, Any] | None = None,
) -> Market:
    """A ``Market`` for ``config``.

    Parameters
    ----------
    token
        The tushare token, fetched when tushare is first asked for something.
    dynamodb
        A boto3 DynamoDB client for the shared cache (with ``config.cache_table``).
    modules
        Stand-ins for the libraries (tests): ``{"akshare": module, "tushare": api_factory}``.
    """
    providers = [_provider(name, config, token, modules or {}) for name in config.providers]
    if config.simulated_data_ms:
        providers = [SlowProvider(p, config.simulated_data_ms / 1000) for p in providers]
    shared = None
    # A chain of local providers only (the bundled default) reads files faster than the table.
    if config.cache_table and dynamodb is not None and any(p.remote for p in providers):
        from ..adapters.market_cache import DynamoPartCache

        shared = DynamoPartCache(config.cache_table, dynamodb, keep_s=config.keep_days * 86400)
    fetcher = PartFetcher(
        providers, memory=MemoryCache(), shared=shared, timeout_s=config.timeout_s, live_fresh_s=config.live_fresh_s
    )
    return Market(SnapshotAssembler(fetcher, concurrent=config.concurrent))


def config_from(settings: Settings) -> MarketConfig:
    return MarketConfig(
        providers=settings.data_chain,
        timeout_s=settings.data_timeout_s,
        cache_table=settings.market_cache_table,
        live_fresh_s=settings.market_cache_fresh_s,
        keep_days=settings.market_cache_keep_days,
        simulated_data_ms=settings.simulated_data_ms,
    )


def loader(settings: Settings) -> Callable[[str, dt.date | None], Snapshot]:
    """The process's snapshot loader for ``settings``: built once, then shared by every invocation."""
    return _market(config_from(settings), settings.tushare_token, settings.tushare_token_parameter).load_snapshot


@lru_cache(maxsize=8)
def _market(config: MarketConfig, token: SecretStr, parameter: str) -> Market:
    from ..adapters import aws  # deferred: boto3 loads only when a handler builds its market

    secret = token.get_secret_value()

    def read_token() -> str:
        if secret:
            return secret
        if parameter:
            from ..adapters.secrets import read_secret

            return read_secret(parameter, aws.client)
        return ""

    dynamodb = aws.client("dynamodb") if config.cache_table else None
    return build_market(config, token=read_token, dynamodb=dynamodb)
