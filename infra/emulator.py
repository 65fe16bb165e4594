"""The moto server the embedded runtime runs in-process, with the three patches it needs.

1. DynamoDB requests are serialised: moto's DynamoDB backend is not thread-safe (concurrent
   TransactWriteItems crashed it and lost writes, docs/architecture.md §7). Streams share the backend's data,
   so they take the same lock. SQS is not locked: its long polls would stall everything.
   TransactWriteItems gets a cheaper, in-place rollback: moto deep-copies every table a
   transaction touches (O(table) per event append) and, on a cancelled transaction, swaps in the
   copies, which orphans every open stream iterator (the stream then looks empty forever).
2. Lambda Invoke runs our handler in-process (moto's own Lambda needs Docker) and answers as
   Lambda does: the result, or ``x-amz-function-error`` with ``{"errorType", "errorMessage"}``
   so that Step Functions' Retry and Catch match ``errorType``.
3. moto's request dispatcher infers the service of every request by trying each service's URL
   patterns under one global lock (about a tenth of the runtime's CPU in a profile); the answer
   for a given signing scope, target and path prefix never changes, so it is memoised.
4. Step Functions' Lambda tasks reuse one boto3 client per region instead of building a new one
   for every task (client creation costs more CPU than the invoke itself).
5. Every request is metered (service, action, bytes in and out) for the cost model (``infra/cost.py``).
6. Step Functions executes state machines (moto's interpreter), switched on via /moto-api/config.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import re
import socket
import threading
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

import boto3
from botocore.config import Config
from moto.server import ThreadedMotoServer
from moto.settings import moto_server_port
from werkzeug.serving import BaseWSGIServer

Invoker = Callable[[str, bytes], tuple[bytes, str | None]]
"""(function name, payload) → (response body, function error type or None)."""

_dynamo_lock = threading.RLock()
_invoker: Invoker | None = None
_patched = False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _locked(call_action: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call_action)
    def wrapper(self: Any) -> Any:
        with _dynamo_lock:
            return call_action(self)

    return wrapper


class _RollbackPoint:
    """What a transaction may change in one table: its item map (Puts and Deletes replace
    entries), pre-images of the items it updates (Updates mutate in place), its stream length."""

    def __init__(self, backend: Any, table: Any, update_keys: list[dict]) -> None:
        self.table = table
        self.items = copy.copy(table.items)
        if table.range_key_attr is not None:
            self.items.update({h: dict(bucket) for h, bucket in table.items.items()})
        self.pre_images = []
        for key in update_keys:
            item = backend.get_item(table.name, key)
            if item is not None:
                self.pre_images.append((backend.get_keys_value(table, key), copy.deepcopy(item)))
        self.stream_length = len(table.stream_shard.items) if table.stream_shard else None

    def restore(self) -> None:
        for (hash_key, range_key), item in self.pre_images:
            if range_key is None:
                self.items[hash_key] = item
            else:
                self.items[hash_key][range_key] = item
        self.table.items = self.items
        if self.stream_length is not None:
            del self.table.stream_shard.items[self.stream_length :]


class _NoDeepCopy:
    """Stands in for the ``copy`` module inside moto's transact_write_items: its own backup becomes free."""

    deepcopy = staticmethod(lambda value, memo=None: value)


def _transact_write_items(original: Callable[..., Any]) -> Callable[..., Any]:
    import moto.dynamodb.models as models

    @functools.wraps(original)
    def transact(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        updates: dict[str, list[dict]] = {}
        for entry in transact_items:
            op_type, op = next(iter(entry.items()))
            if op.get("TableName") in self.tables:
                updates.setdefault(op["TableName"], [])
                if op_type == "Update":
                    updates[op["TableName"]].append(op["Key"])
        points = [_RollbackPoint(self, self.tables[name], keys) for name, keys in updates.items()]
        models.copy = _NoDeepCopy  # safe: every DynamoDB request runs under _dynamo_lock
        try:
            return original(self, transact_items)
        except Exception:
            for point in points:
                point.restore()
            raise
        finally:
            models.copy = copy

    return transact


def _memoised_dispatch(get_application: Callable[..., Any]) -> Callable[..., Any]:
    cache: dict[tuple[str, ...], Any] = {}

    @functools.wraps(get_application)
    def dispatch(self: Any, environ: dict[str, Any]) -> Any:
        scope = re.search(r"Credential=[^/]*/[^/]*/([^/]*)/([^/]*)/", environ.get("HTTP_AUTHORIZATION", ""))
        path = environ.get("PATH_INFO", "")
        if scope is None or path.startswith("/moto-api"):
            return get_application(self, environ)
        key = (
            *scope.groups(),
            environ.get("HTTP_X_AMZ_TARGET", "").split(".")[0],
            path.split("/")[1:2][0] if "/" in path else "",
        )
        app = cache.get(key)
        if app is None:
            app = cache[key] = get_application(self, environ)
        return app

    return dispatch


def _cached_lambda_clients() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # moto's own settings (no SDK retries: the state machine's Retry decides), plus a connection
        # pool as large as the burst of parallel branches, so bursts reuse connections.
        with lock:
            if (region, service) not in clients:
                clients[(region, service)] = boto3.client(
                    service,
                    region_name=region,
                    endpoint_url=f"http://127.0.0.1:{moto_server_port()}",
                    aws_access_key_id="ak",
                    aws_secret_access_key="sk",
                    config=Config(
                        parameter_validation=False,
                        retries={"max_attempts": 0, "total_max_attempts": 1},
                        connect_timeout=60,
                        read_timeout=900,
                        max_pool_connections=256,
                    ),
                )
            return clients[(region, service)]

    lambda_eval_utils.boto_client_for = client_for


class Meter:
    """AWS requests served (service, action, payload sizes) and function durations, for ``infra/cost.py``.

    Records only between :meth:`start` and :meth:`stop`: a long ``make run`` would otherwise keep every
    request it ever served in memory.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recording = False
        self.requests: list[tuple[str, str, int, int, bytes]] = []
        self.durations: list[tuple[str, float]] = []

    def record(self, service: str, action: str, body: bytes, response_bytes: int) -> None:
        if self.recording:
            with self.lock:
                self.requests.append(
                    (service, action, len(body), response_bytes, body if service == "dynamodb" else b"")
                )

    def record_duration(self, logical_id: str, seconds: float) -> None:
        if self.recording:
            with self.lock:
                self.durations.append((logical_id, seconds))

    def start(self) -> None:
        with self.lock:
            self.requests, self.durations, self.recording = [], [], True

    def stop(self) -> tuple[list[tuple[str, str, int, int, bytes]], list[tuple[str, float]]]:
        with self.lock:
            self.recording = False
            return self.requests, self.durations


meter = Meter()


def _metered(call_action: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call_action)
    def wrapper(self: Any) -> Any:
        response = call_action(self)
        body = self.raw_body if isinstance(getattr(self, "raw_body", None), bytes) else b""
        payload = response[2] if isinstance(response, tuple) and len(response) == 3 else b""
        action = (self.headers.get("X-Amz-Target") or "").split(".")[-1]  # JSON-protocol services name it here
        meter.record(self.service_name or "", action, body, len(payload or b""))
        return response

    return wrapper


def _function_name(path: str) -> str:
    """``…/functions/<name or ARN[:qualifier]>/invocations`` → the function's name."""
    target = unquote(path.rstrip("/").rsplit("/", 2)[-2])
    if target.startswith("arn:"):
        return target.split(":")[6]
    return target.split(":")[0]


def _invoke(self: Any) -> tuple[int, dict[str, str], bytes]:
    if _invoker is None:
        return 404, {}, b'{"Message": "no function runtime attached"}'
    body = self.body if isinstance(self.body, bytes) else (self.body or "").encode()
    payload, function_error = _invoker(_function_name(self.path), body)
    headers = {"content-type": "application/json", "x-amz-executed-version": "$LATEST"}
    if function_error:
        headers["x-amz-function-error"] = function_error
    return 200, headers, payload


def _patch_moto() -> None:
    global _patched
    if _patched:
        return
    from moto.awslambda.responses import LambdaResponse
    from moto.core.responses import BaseResponse
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    BaseResponse.call_action = _metered(BaseResponse.call_action)
    DynamoHandler.call_action = _locked(DynamoHandler.call_action)
    # A burst of parallel branches opens many connections at once; werkzeug's default backlog of 128
    # refused some (EndpointConnectionError) with 100 analyses started together.
    BaseWSGIServer.request_queue_size = 2048
    DynamoDBBackend.transact_write_items = _transact_write_items(DynamoDBBackend.transact_write_items)
    DynamoDBStreamsHandler.call_action = _locked(DynamoDBStreamsHandler.call_action)
    LambdaResponse.invoke = _invoke
    DomainDispatcherApplication.get_application = _memoised_dispatch(DomainDispatcherApplication.get_application)
    _cached_lambda_clients()
    _patched = True


class MotoEmulator:
    """A moto server on loopback, patched for the embedded runtime."""

    def __init__(self, invoker: Invoker, port: int | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._invoker = invoker

    def start(self) -> None:
        global _invoker
        _patch_moto()
        _invoker = self._invoker
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per AWS call drowns the logs
        self._server.start()
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/config",
            method="POST",
            data=json.dumps({"stepfunctions": {"execute_state_machine": True}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            response.read()

    def stop(self) -> None:
        global _invoker
        self._server.stop()
        _invoker = None
