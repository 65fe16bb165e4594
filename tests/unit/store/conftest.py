"""Store fixtures: the two tables (schemas of docs/contracts.md) in moto, behind a moto server, and in memory."""

from __future__ import annotations

import functools
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from aiobotocore.session import get_session
from anyio.from_thread import BlockingPortal, start_blocking_portal
from moto import mock_aws
from moto.dynamodb.responses import DynamoHandler
from moto.server import ThreadedMotoServer

from investmind.adapters.dynamodb import AsyncDynamoEventLog, AsyncDynamoTaskStore, DynamoEventLog, DynamoTaskStore
from investmind.adapters.memory import AsyncMemoryEventLog, AsyncMemoryTaskStore, MemoryEventLog, MemoryTaskStore

REGION = "us-east-1"
BACKENDS = ("memory", "dynamodb", "async_memory", "async_dynamodb")


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stray endpoint would send boto3 past mock_aws to a real server (docs/architecture.md §7).
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def create_tables(client: Any, tasks: str, events: str) -> None:
    """TasksTable and EventsTable as docs/contracts.md describes them."""
    client.create_table(
        TableName=tasks,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "task_id", "AttributeType": "S"},
            {"AttributeName": "owner", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "S"},
            {"AttributeName": "open", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "task_id", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_owner",
                "KeySchema": [
                    {"AttributeName": "owner", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "open_tasks",
                "KeySchema": [
                    {"AttributeName": "open", "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
    )
    client.create_table(
        TableName=events,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "task_id", "AttributeType": "S"},
            {"AttributeName": "seq", "AttributeType": "N"},
        ],
        KeySchema=[
            {"AttributeName": "task_id", "KeyType": "HASH"},
            {"AttributeName": "seq", "KeyType": "RANGE"},
        ],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )
    for table in (tasks, events):
        client.update_time_to_live(
            TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"}
        )


def serialize_moto_dynamodb(monkeypatch: pytest.MonkeyPatch) -> None:
    """One lock around moto's DynamoDB request handling: its backend is not thread-safe (docs/architecture.md §7)."""
    lock = threading.Lock()
    original: Callable[..., Any] = DynamoHandler.call_action

    @functools.wraps(original)
    def call_action(self: DynamoHandler) -> Any:
        with lock:
            return original(self)

    monkeypatch.setattr(DynamoHandler, "call_action", call_action)


@pytest.fixture(scope="package")
def boto_dynamodb() -> Any:
    """One boto3 client for every mock_aws test (creating one inside mock_aws costs ~0.1 s).

    The endpoint is explicit so that a stray ``AWS_ENDPOINT_URL`` cannot take it past mock_aws.
    """
    return boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=f"https://dynamodb.{REGION}.amazonaws.com",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="package")
def serialized_moto() -> Iterator[None]:
    """The lock, for the tests whose threads share moto's backend (in-process, or behind the moto server).

    Package-wide: a function-scoped patch taken first would be undone at its test's teardown, lifting the
    lock from under the moto server that wrapped it.
    """
    with pytest.MonkeyPatch.context() as patch:
        serialize_moto_dynamodb(patch)
        yield


@pytest.fixture
def moto_dynamodb(boto_dynamodb: Any) -> Iterator[Any]:
    """A boto3 client on moto's in-process DynamoDB, with the two tables."""
    with mock_aws():
        create_tables(boto_dynamodb, "tasks", "events")
        yield boto_dynamodb


@pytest.fixture(scope="package")
def moto_server(serialized_moto: None) -> Iterator[str]:
    """A moto server on a free loopback port (aiobotocore cannot go through mock_aws); yields its URL."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(logging.getLogger("werkzeug"), "level", logging.WARNING)  # one access-log line a request
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture
def server_tables(moto_server: str) -> tuple[str, str]:
    """Fresh tables on the moto server (fresh names: a mock_aws elsewhere resets moto's shared state)."""
    suffix = uuid.uuid4().hex[:8]
    tasks, events = f"tasks-{suffix}", f"events-{suffix}"
    client = boto3.client(
        "dynamodb", endpoint_url=moto_server, region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x"
    )
    create_tables(client, tasks, events)
    return tasks, events


def aio_client(endpoint_url: str) -> Any:
    """An aiobotocore DynamoDB client context manager for the moto server."""
    return get_session().create_client(
        "dynamodb",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


@pytest.fixture(scope="package")
def portal() -> Iterator[BlockingPortal]:
    """An event loop on its own thread, for sync tests of the async backends."""
    with start_blocking_portal("asyncio") as running:
        yield running


@pytest.fixture(scope="package")
def portal_aio_dynamodb(portal: BlockingPortal, moto_server: str) -> Iterator[Any]:
    """An aiobotocore client on the portal's loop, talking to the moto server."""
    with portal.wrap_async_context_manager(aio_client(moto_server)) as client:
        yield client


class Blocking:
    """A sync face on an async store: each call runs on the portal's event loop, so sync tests drive it."""

    def __init__(self, target: Any, portal: BlockingPortal) -> None:
        self._target = target
        self._portal = portal

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._target, name)
        return lambda *args, **kwargs: self._portal.call(functools.partial(method, *args, **kwargs))


@dataclass
class Backend:
    name: str
    tasks: Any
    log: Any


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    """The same (tasks, log) pair, sync-faced, from each of the four backends."""
    name = request.param
    if name == "memory":
        tasks = MemoryTaskStore()
        return Backend(name, tasks, MemoryEventLog(tasks))
    if name == "dynamodb":
        client = request.getfixturevalue("moto_dynamodb")
        return Backend(name, DynamoTaskStore("tasks", "events", client), DynamoEventLog("events", "tasks", client))
    portal = request.getfixturevalue("portal")
    if name == "async_memory":
        tasks = MemoryTaskStore()
        return Backend(
            name,
            Blocking(AsyncMemoryTaskStore(tasks), portal),
            Blocking(AsyncMemoryEventLog(MemoryEventLog(tasks)), portal),
        )
    tasks_table, events_table = request.getfixturevalue("server_tables")
    client = request.getfixturevalue("portal_aio_dynamodb")
    return Backend(
        name,
        Blocking(AsyncDynamoTaskStore(tasks_table, events_table, client), portal),
        Blocking(AsyncDynamoEventLog(events_table, tasks_table, client), portal),
    )


@pytest.fixture(params=["async_memory", "async_dynamodb"])
async def async_stores(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Any, Any]]:
    """(tasks, log) of each async backend, on the test's own event loop."""
    if request.param == "async_memory":
        tasks = MemoryTaskStore()
        yield AsyncMemoryTaskStore(tasks), AsyncMemoryEventLog(MemoryEventLog(tasks))
        return
    tasks_table, events_table = request.getfixturevalue("server_tables")
    async with aio_client(request.getfixturevalue("moto_server")) as client:
        yield (
            AsyncDynamoTaskStore(tasks_table, events_table, client),
            AsyncDynamoEventLog(events_table, tasks_table, client),
        )
