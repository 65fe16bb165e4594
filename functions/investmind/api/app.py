"""The FastAPI app: routers, error handlers, the body-size guard, the web console and the backend's lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from ..adapters import aws
from ..adapters.sqs import ExecutionControl, TaskQueue
from ..settings import Settings, get_settings
from ..store import AsyncEventLog, AsyncTaskStore
from .deps import Backend, BackendHolder, Executions, Queue
from .errors import BodySizeLimit, install_error_handlers
from .routes import ROUTERS

STATIC_DIR = Path(__file__).parent / "static"


async def open_aws_backend(settings: Settings) -> Backend:
    """The backend on AWS: one set of aiobotocore clients for the process, closed by ``Backend.aclose``.

    Module-level so that a test can replace it (``monkeypatch.setattr(app, "open_aws_backend", …)``) and
    drive the real Lambda handler with memory stores.
    """
    from ..adapters.dynamodb import AsyncDynamoEventLog, AsyncDynamoTaskStore

    clients = aws.AsyncClients()
    await clients.start("dynamodb", "sqs", "stepfunctions")
    ttl = settings.task_ttl_days
    return Backend(
        tasks=AsyncDynamoTaskStore(settings.tasks_table, settings.events_table, clients["dynamodb"], ttl_days=ttl),
        events=AsyncDynamoEventLog(settings.events_table, settings.tasks_table, clients["dynamodb"], ttl_days=ttl),
        queue=TaskQueue(clients["sqs"], settings),
        executions=ExecutionControl(clients["stepfunctions"], settings.state_machine_arn),
        aclose=clients.close,
    )


def _operation_id(route: APIRoute) -> str:
    """Stable OpenAPI operation ids: ``<tag>-<function name>`` (e.g. ``analyses-create_analysis``)."""
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


def create_app(
    *,
    tasks: AsyncTaskStore | None = None,
    events: AsyncEventLog | None = None,
    queue: Queue | None = None,
    executions: Executions | None = None,
) -> FastAPI:
    """The API app.

    Parameters
    ----------
    tasks, events, queue, executions
        All four (tests: memory stores and fakes), or none: then the app opens the AWS backend from
        ``get_settings()`` at start-up, or on the first request when no lifespan runs (Mangum with
        ``lifespan="off"``), and closes it at shutdown.
    """
    given = (tasks, events, queue, executions)
    if all(dep is None for dep in given):
        holder = BackendHolder(opener=lambda: open_aws_backend(get_settings()))
    elif any(dep is None for dep in given):
        raise TypeError("create_app takes all of tasks, events, queue and executions, or none of them")
    else:
        assert tasks is not None and events is not None and queue is not None and executions is not None
        holder = BackendHolder(backend=Backend(tasks=tasks, events=events, queue=queue, executions=executions))

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
