"""AWS clients, created once per process and honouring ``AWS_ENDPOINT_URL`` (moto server, LocalStack)."""

from __future__ import annotations

import os
import threading
from functools import cache
from typing import Any

from botocore.config import Config

# A process may run many invocations at once (the embedded runtime, threads): a pool that large
# keeps them on reused connections instead of opening (and churning) one per request.
_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 4}, connect_timeout=5, read_timeout=30, max_pool_connections=64
)
_lock = threading.Lock()


def _region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


@cache
def client(service: str) -> Any:
    """A boto3 client for ``service``, shared by every caller in this process (clients are thread-safe).

    Creation itself is serialised: boto3's default session is not thread-safe while it builds clients.
    boto3 is imported here, not at the top: the API's path (aiobotocore) never needs it.
    """
    import boto3

    with _lock:
        return boto3.session.Session().client(service, region_name=_region(), config=_CONFIG)


class AsyncClients:
    """aiobotocore clients for the API's event loop, entered once at app start-up and closed at shutdown."""

    def __init__(self) -> None:
        self._stack: Any = None
        self._clients: dict[str, Any] = {}

    async def start(self, *services: str) -> None:
        from contextlib import AsyncExitStack

        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        self._stack = AsyncExitStack()
        session = get_session()
        config = AioConfig(retries={"mode": "standard", "max_attempts": 4}, max_pool_connections=100)
        for service in services:
            self._clients[service] = await self._stack.enter_async_context(
                session.create_client(service, region_name=_region(), config=config)
            )

    def __getitem__(self, service: str) -> Any:
        return self._clients[service]

    async def close(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None
            self._clients.clear()
