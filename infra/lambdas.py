"""In-process Lambda functions for the embedded runtime: the real handlers, their timeout enforced."""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from investmind.settings import function_environment

from .emulator import meter

logger = logging.getLogger(__name__)


@dataclass
class LocalFunction:
    logical_id: str
    name: str
    arn: str
    handler_path: str
    timeout_s: float
    memory_mb: int
    environment: dict[str, str] = field(default_factory=dict)

    def handler(self) -> Callable[[Any, Any], Any]:
        module, attr = self.handler_path.rsplit(".", 1)
        return getattr(importlib.import_module(module), attr)


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_s: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self._started)) * 1000))


class LocalLambda:
    """Runs invocations on a thread pool; a handler still running at its timeout is answered
    ``Sandbox.Timedout`` as Lambda does (the thread cannot be killed and finishes in the background)."""

    def __init__(self, max_concurrency: int = 512) -> None:
        self.functions: dict[str, LocalFunction] = {}
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="lambda")
        self._lock = threading.Lock()
        self.invocations: dict[str, int] = {}

    def add(self, function: LocalFunction) -> None:
        self.functions[function.name] = function

    def by_logical_id(self, logical_id: str) -> LocalFunction:
        return next(f for f in self.functions.values() if f.logical_id == logical_id)

    def invoke(self, name: str, event: Any) -> tuple[Any, str | None]:
        """(result, None) or ({"errorType", "errorMessage"}, "Unhandled")."""
        function = self.functions.get(name)
        if function is None:
            return {"errorType": "ResourceNotFoundException", "errorMessage": f"no function {name}"}, "Unhandled"
        with self._lock:
            self.invocations[function.logical_id] = self.invocations.get(function.logical_id, 0) + 1
        context = LambdaContext(function.name, function.arn, function.memory_mb, function.timeout_s)
        future = self._pool.submit(self._run, function, event, context)
        began = time.monotonic()
        try:
            return future.result(timeout=function.timeout_s), None
        except FutureTimeout:
            message = f"Task timed out after {function.timeout_s:.2f} seconds"
            logger.warning("%s: %s", function.logical_id, message)
            return {"errorType": "Sandbox.Timedout", "errorMessage": message}, "Unhandled"
        except Exception as exc:  # noqa: BLE001 - a handler's error is the invocation's answer
            return {"errorType": type(exc).__name__, "errorMessage": str(exc)}, "Unhandled"
        finally:
            meter.record_duration(function.logical_id, time.monotonic() - began)  # the cost model bills them

    def invoke_http(self, name: str, payload: bytes) -> tuple[bytes, str | None]:
        event = json.loads(payload or b"{}")
        result, error = self.invoke(name, event)
        return json.dumps(result).encode(), error

    @staticmethod
    def _run(function: LocalFunction, event: Any, context: LambdaContext) -> Any:
        token = function_environment.set(function.environment)
        try:
            result = function.handler()(event, context)
            # Lambda returns what survives JSON; round-trip so the caller sees exactly that.
            return json.loads(json.dumps(result))
        finally:
            function_environment.reset(token)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
