"""The API's dependencies: the backend (stores, queue, executions, SSE hub), the caller, the settings."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request

from ..errors import NotFound
from ..models import Task
from ..services.analyses import Analyses
from ..services.ports import AsyncEventLog, AsyncTaskStore, ExecutionStopper, StartQueue
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
    aclose: Callable[[], Awaitable[None]] | None = None
    hub: EventHub = field(init=False)
    analyses: Analyses = field(init=False)

    def __post_init__(self) -> None:
        self.hub = EventHub(self.events)
        self.analyses = Analyses(self.tasks, self.events, self.queue, self.executions)


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


def get_caller() -> str:
    """The caller's identity, the owner of the tasks it creates (a single local caller until auth lands)."""
    return "local"


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
