"""The API's dependencies: the backend (stores, queue, executions, SSE hub), the caller, the settings."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import APIKeyQuery, HTTPBearer

from ..auth import ApiKeys, Caller, Identity, JwtVerifier, KeyStore, StreamTokens
from ..errors import NotFound, ServiceUnavailable
from ..models import Task
from ..services.analyses import Analyses
from ..services.ports import AsyncEventLog, AsyncTaskStore, ExecutionStopper, StartQueue
from ..services.reconcile import ReconcileReport
from ..settings import Settings, get_settings
from .sse import EventHub

TASK_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Backend:
    """What the routes work with: the ports (built by ``composition.api``, or handed in by tests), the
    use cases on them and the SSE hub."""

    tasks: AsyncTaskStore
    events: AsyncEventLog
    queue: StartQueue
    executions: ExecutionStopper
    keys: KeyStore | None = None
    """The API keys; None: this deployment accepts none (JWTs only)."""
    aclose: Callable[[], Awaitable[None]] | None = None
    reconciler: Callable[[], ReconcileReport] | None = None
    """One reconciler pass (``services.reconcile``, synchronous: the route runs it on a worker thread); None: none."""
    hub: EventHub = field(init=False)
    analyses: Analyses = field(init=False)
    _stream_secret: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.hub = EventHub(self.events)
        self.analyses = Analyses(self.tasks, self.events, self.queue, self.executions)

    def identity(self, settings: Settings) -> Identity:
        keys = ApiKeys(self.keys, settings.admins) if self.keys is not None else None
        return Identity(keys, _jwt_verifier(settings))

    def api_keys(self, settings: Settings) -> ApiKeys:
        if self.keys is None:
            raise ServiceUnavailable("this deployment keeps no API keys")
        return ApiKeys(self.keys, settings.admins)

    async def stream_tokens(self, settings: Settings) -> StreamTokens:
        """Signed with the deployment's secret, made once and kept in the key store (read once per process)."""
        if self.keys is None:
            raise ServiceUnavailable("stream tokens need the key store")
        if self._stream_secret is None:
            self._stream_secret = await self.keys.secret("stream-token", secrets.token_urlsafe(48))
        return StreamTokens(self._stream_secret, dt.timedelta(seconds=settings.stream_token_ttl_s))


class BackendHolder:
    """Opens the backend once, on first use (the lifespan, or the first request when none runs)."""

    def __init__(
        self, *, backend: Backend | None = None, opener: Callable[[], Awaitable[Backend]] | None = None
    ) -> None:
        if (backend is None) == (opener is None):
            raise TypeError("give a backend or an opener")
        self._backend = backend
        self._opener = opener
        self._lock = asyncio.Lock()

    async def get(self) -> Backend:
        if self._backend is None:
            async with self._lock:
                if self._backend is None:
                    assert self._opener is not None
                    self._backend = await self._opener()
        return self._backend

    @property
    def opened(self) -> Backend | None:
        """The backend if it is open (for inspection; routes use :func:`get_backend`)."""
        return self._backend

    async def close(self) -> None:
        """Close what the opener opened; an injected backend is the caller's to close."""
        if self._opener is None or self._backend is None:
            return
        backend, self._backend = self._backend, None
        if backend.aclose is not None:
            await backend.aclose()


async def get_backend(request: Request) -> Backend:
    holder: BackendHolder = request.app.state.backend
    return await holder.get()


BackendDep = Annotated[Backend, Depends(get_backend)]


def get_analyses(backend: BackendDep) -> Analyses:
    return backend.analyses


@lru_cache(maxsize=8)
def _jwt_verifier_for(
    issuer: str, audience: str, jwks_url: str, algorithms: str, admins: frozenset[str]
) -> JwtVerifier:
    names = [name.strip() for name in algorithms.split(",") if name.strip()]
    return JwtVerifier.from_url(issuer, audience, jwks_url, algorithms=names, admin_owners=admins)


def _jwt_verifier(settings: Settings) -> JwtVerifier | None:
    """The verifier of the configured issuer, one per process (it caches the JWKS), or None without one."""
    if not settings.jwt_issuer:
        return None
    jwks_url = settings.jwks_url or settings.jwt_issuer.rstrip("/") + "/.well-known/jwks.json"
    args = (settings.jwt_issuer, settings.jwt_audience, jwks_url, settings.jwt_algorithms, settings.admins)
    return _jwt_verifier_for(*args)


_BEARER = HTTPBearer(scheme_name="bearer", auto_error=False, description="an API key (`imk_…`) or a JWT")
"""Declares the scheme in /openapi.json; the header itself is read by ``Identity`` (which tells its errors apart)."""


async def get_identity(
    request: Request,
    backend: BackendDep,
    settings: Annotated[Settings, Depends(get_settings)],
    _documented: Annotated[object, Depends(_BEARER)] = None,
) -> Caller:
    """The authenticated caller (``Authorization: Bearer <API key or JWT>``); 401 otherwise."""
    return await backend.identity(settings).authenticate(request.headers.get("authorization"))


IdentityDep = Annotated[Caller, Depends(get_identity)]


def get_caller(caller: IdentityDep) -> str:
    """The owner of what the caller creates and sees: the key's owner or the token's ``sub``, never a body field."""
    return caller.owner


def get_catalog(settings: Annotated[Settings, Depends(get_settings)]) -> Mapping[str, Any]:
    """The symbols this deployment's data chain can analyse (canonical symbol → info); sync, so off the event loop."""
    from ..market import catalog

    return catalog(settings.data_chain)


CallerDep = Annotated[str, Depends(get_caller)]
AnalysesDep = Annotated[Analyses, Depends(get_analyses)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
CatalogDep = Annotated[Mapping[str, Any], Depends(get_catalog)]


async def get_owned_task(task_id: str, caller: CallerDep, analyses: AnalysesDep) -> Task:
    """The task named in the path if the caller owns it; a malformed id is as unknown as a missing one."""
    if not TASK_ID.match(task_id):
        raise NotFound(f"analysis {task_id} not found")
    return await analyses.get(caller, task_id)


OwnedTaskDep = Annotated[Task, Depends(get_owned_task)]


_STREAM_TOKEN = APIKeyQuery(
    name="token", scheme_name="stream_token", auto_error=False,
    description="a stream token (`POST /v1/analyses/{task_id}/stream-token`), for clients that cannot send headers",
)  # fmt: skip


async def get_stream_owner(
    task_id: str,
    request: Request,
    backend: BackendDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(_STREAM_TOKEN)] = None,
    _documented: Annotated[object, Depends(_BEARER)] = None,
) -> str:
    """The stream's caller: by the ``Authorization`` header, or by a stream token issued for this very task."""
    if token is None or request.headers.get("authorization"):
        return get_caller(await get_identity(request, backend, settings))
    return (await backend.stream_tokens(settings)).verify(token, task_id).owner


async def get_stream_task(
    task_id: str, owner: Annotated[str, Depends(get_stream_owner)], analyses: AnalysesDep
) -> Task:
    return await get_owned_task(task_id, owner, analyses)


StreamTaskDep = Annotated[Task, Depends(get_stream_task)]
