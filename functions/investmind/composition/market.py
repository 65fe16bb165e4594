"""The Lambdas' market: settings → the provider chain, the DynamoDB part cache, the tushare token from SSM.

Built once per process and shared by every invocation (and every thread of the embedded runtime).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import SecretStr

    from ..market import Snapshot
    from ..market.assemble import Market
    from ..market.factory import MarketConfig
    from ..settings import Settings


def loader(settings: Settings) -> Callable[[str, dt.date | None], Snapshot]:
    """The process's snapshot loader for ``settings`` (provider chain, shared cache): built once."""
    from ..market.factory import config_from  # deferred: pandas loads on the first market, not at import

    return _market(
        config_from(settings),
        settings.market_cache_table,
        settings.market_cache_keep_days,
        settings.tushare_token,
        settings.tushare_token_parameter,
    ).load_snapshot


@lru_cache(maxsize=8)
def _market(config: MarketConfig, cache_table: str, keep_days: float, token: SecretStr, parameter: str) -> Market:
    from ..adapters import aws  # deferred: boto3 loads only when a handler builds its market
    from ..market.factory import build_market

    secret = token.get_secret_value()

    def read_token() -> str:
        if secret:
            return secret
        if parameter:
            from ..adapters.secrets import read_secret

            return read_secret(parameter, aws.client)
        return ""

    cache = None
    if cache_table:
        from ..adapters.market_cache import DynamoPartCache

        cache = DynamoPartCache(cache_table, aws.client("dynamodb"), keep_s=keep_days * 86400)
    return build_market(config, token=read_token, cache=cache)
