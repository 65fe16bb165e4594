"""The FastAPI app: routers, error handlers, the body-size guard, the web console and the backend's lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from ..auth import KeyStore
from ..services.ports import AsyncEventLog, AsyncTaskStore, ExecutionStopper, StartQueue
from ..services.reconcile import ReconcileReport
from .deps import Backend, BackendHolder
from .errors import BodySizeLimit, install_error_handlers
from .routes import ROUTERS

STATIC_DIR = Path(__file__).parent / "static"


def _operation_id(route: APIRoute) -> str:
    """Stable OpenAPI operation ids: ``<tag>-<function name>`` (e.g. ``analyses-create_analysis``)."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(
    *,
    tasks: AsyncTaskStore | None = None,
    events: AsyncEventLog | None = None,
    queue: StartQueue | None = None,
    executions: ExecutionStopper | None = None,
    keys: KeyStore | None = None,
    reconciler: Callable[[], ReconcileReport] | None = None,
    open_backend: Callable[[], Awaitable[Backend]] | None = None,
) -> FastAPI:
    """The API app.

    Parameters
    ----------
    tasks, events, queue, executions
        All four (tests: memory stores and fakes), or none and ``open_backend`` instead.
    keys
        With the four: the API keys' store (without it, only a configured issuer's JWTs get in).
    reconciler
        With the four: one reconciler pass, for ``POST /v1/admin/reconcile`` (without it, 503).
    open_backend
        Opens the backend (``composition.api``: the AWS one) at start-up, or on the first request when
        no lifespan runs (Mangum with ``lifespan="off"``); it is closed at shutdown.
    """
    given = (tasks, events, queue, executions)
    if all(dep is None for dep in given):
        if open_backend is None:
            raise TypeError("create_app needs tasks, events, queue and executions, or open_backend")
        holder = BackendHolder(opener=open_backend)
    elif any(dep is None for dep in given) or open_backend is not None:
        raise TypeError("create_app takes all of tasks, events, queue and executions, or open_backend")
    else:
        assert tasks is not None and events is not None and queue is not None and executions is not None
        holder = BackendHolder(
            backend=Backend(
                tasks=tasks, events=events, queue=queue, executions=executions, keys=keys, reconciler=reconciler
            )
        )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await holder.get()
        try:
            yield
        finally:
            await holder.close()

    app = FastAPI(
        title="InvestMind",
        summary="Multi-agent stock analysis: submit a symbol, follow ten analysts live, get a decision.",
        version="1",
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
    )
    app.state.backend = holder
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def console() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    return app
