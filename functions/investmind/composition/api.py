"""The API's object graph on AWS: one set of aiobotocore clients per process and the adapters on them."""

from __future__ import annotations

from fastapi import FastAPI

from ..adapters import aws
from ..adapters.dynamodb import AsyncDynamoEventLog, AsyncDynamoTaskStore
from ..adapters.dynamodb.keys import AsyncDynamoKeyStore
from ..adapters.sqs import TaskQueue
from ..adapters.stepfunctions import ExecutionStopper
from ..api import create_app
from ..api.deps import Backend
from ..settings import Settings, get_settings
from .lambdas import reconciler


def create_aws_app() -> FastAPI:
    """The API on AWS (ApiFunction) and in the embedded runtime: the backend opens on first use."""
    return create_app(open_backend=lambda: open_aws_backend(get_settings()))


async def open_aws_backend(settings: Settings) -> Backend:
    """The backend on AWS (DynamoDB, SQS, Step Functions), closed by ``Backend.aclose``."""
    clients = aws.AsyncClients()
    await clients.start("dynamodb", "sqs", "stepfunctions")
    ttl = settings.task_ttl_days
    return Backend(
        tasks=AsyncDynamoTaskStore(settings.tasks_table, settings.events_table, clients["dynamodb"], ttl_days=ttl),
        events=AsyncDynamoEventLog(settings.events_table, settings.tasks_table, clients["dynamodb"], ttl_days=ttl),
        queue=TaskQueue(clients["sqs"], settings.queue_urls),
        executions=ExecutionStopper(clients["stepfunctions"], settings.state_machine_arn),
        keys=AsyncDynamoKeyStore(settings.keys_table, clients["dynamodb"]) if settings.keys_table else None,
        # The same pass as ReconcileFunction's, on the functions' boto3 clients (run on a worker thread).
        reconciler=reconciler(settings) if settings.state_machine_arn else None,
        aclose=clients.close,
    )
