"""The Lambda functions' object graph: the adapters each handler passes into its use case.

Built once per process (an execution environment serves many invocations) and shared by every
invocation; the clients honour ``AWS_ENDPOINT_URL`` (moto server, LocalStack).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial

from ..adapters import aws
from ..adapters.dynamodb import DynamoEventLog, DynamoResultStore, DynamoTaskStore
from ..adapters.stepfunctions import ExecutionStarter
from ..services.reconcile import Deadlines, ReconcileReport, reconcile
from ..settings import Settings


@lru_cache(maxsize=8)
def _stores(tasks_table: str, events_table: str, ttl_days: int) -> tuple[DynamoTaskStore, DynamoEventLog]:
    client = aws.client("dynamodb")
    return (
        DynamoTaskStore(tasks_table, events_table, client=client, ttl_days=ttl_days),
        DynamoEventLog(events_table, tasks_table, client=client, ttl_days=ttl_days),
    )


def stores(settings: Settings) -> tuple[DynamoTaskStore, DynamoEventLog]:
    """The task store and event log named by ``settings``."""
    if not settings.tasks_table or not settings.events_table:
        raise RuntimeError("INVESTMIND_TASKS_TABLE and INVESTMIND_EVENTS_TABLE must be set")
    return _stores(settings.tasks_table, settings.events_table, settings.task_ttl_days)


def event_log(settings: Settings) -> DynamoEventLog:
    return stores(settings)[1]


@lru_cache(maxsize=8)
def _result_store(events_table: str) -> DynamoResultStore:
    return DynamoResultStore(events_table, client=aws.client("dynamodb"))


def result_store(settings: Settings) -> DynamoResultStore:
    """The agents' results, read from their outcome events in the log (the state carries references)."""
    if not settings.events_table:
        raise RuntimeError("INVESTMIND_EVENTS_TABLE must be set")
    return _result_store(settings.events_table)


@lru_cache(maxsize=8)
def _starter(state_machine_arn: str) -> ExecutionStarter:
    return ExecutionStarter(aws.client("stepfunctions"), state_machine_arn)


def reconciler(settings: Settings) -> Callable[..., ReconcileReport]:
    """One reconciler pass on the deployment's stores and state machine (ReconcileFunction, the admin route)."""
    tasks, log = stores(settings)
    executions = execution_starter(settings)
    deadlines = Deadlines(start_s=settings.reconcile_start_deadline_s, overall_s=settings.reconcile_deadline_s)
    return partial(reconcile, tasks, log, executions, deadlines, settings.reconcile_max_tasks)


def execution_starter(settings: Settings) -> ExecutionStarter:
    if not settings.state_machine_arn:
        raise RuntimeError("INVESTMIND_STATE_MACHINE_ARN must be set")
    return _starter(settings.state_machine_arn)
