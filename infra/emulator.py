"""The moto server the embedded runtime runs in-process, with the three patches it needs.

1. DynamoDB requests are serialised: moto's DynamoDB backend is not thread-safe (concurrent
   TransactWriteItems crashed it and lost writes, DESIGN §6). Streams share the backend's data,
   so they take the same lock. SQS is not locked: its long polls would stall everything.
2. Lambda Invoke runs our handler in-process (moto's own Lambda needs Docker) and answers as
   Lambda does: the result, or ``x-amz-function-error`` with ``{"errorType", "errorMessage"}``
   so that Step Functions' Retry and Catch match ``errorType``.
3. Step Functions executes state machines (moto's interpreter), switched on via /moto-api/config.
"""

from __future__ import annotations

import functools
import json
import logging
import socket
import threading
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from moto.server import ThreadedMotoServer

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
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    DynamoHandler.call_action = _locked(DynamoHandler.call_action)
    DynamoDBStreamsHandler.call_action = _locked(DynamoDBStreamsHandler.call_action)
    LambdaResponse.invoke = _invoke
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
