"""In-process Lambda functions for the embedded runtime: the real handlers, their timeout enforced.

Every invocation first consults the fault plan (``investmind_emulation.faults``): a planned fault is answered
as Lambda would answer it, without running the handler.
"""

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
from investmind_emulation.faults import FaultKind, FaultPlan, fault_target, fired_line, fired_scope

from .meter import meter

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

    @property
    def fault_target(self) -> str:
        """How the fault plan names it (``investmind_emulation.faults.fault_target``)."""
        return fault_target(self.logical_id, self.environment)


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


@dataclass(frozen=True)
class Invocation:
    """One invocation's answer, as Lambda's Invoke API gives it.

    ``function_error`` (``Unhandled``): the function failed and ``payload`` is its
    ``{"errorType", "errorMessage"}``. ``api_error``: the Invoke API refused the call (the
    function never ran) with that error code and HTTP ``status``.
    """

    payload: Any
    function_error: str | None = None
    api_error: str | None = None
    status: int = 200

    @property
    def failed(self) -> bool:
        return bool(self.function_error or self.api_error)

    @classmethod
    def error(cls, error_type: str, message: str) -> Invocation:
        return cls({"errorType": error_type, "errorMessage": message}, function_error="Unhandled")


class LocalLambda:
    """Runs invocations on a thread pool; a handler still running at its timeout is answered
    ``Sandbox.Timedout`` as Lambda does (the thread cannot be killed and finishes in the background)."""

    def __init__(self, max_concurrency: int = 512, faults: FaultPlan | None = None) -> None:
        self.functions: dict[str, LocalFunction] = {}
        self.faults = faults or FaultPlan()
        self._pool = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="lambda")
        self._lock = threading.Lock()
        self.invocations: dict[str, int] = {}

    def add(self, function: LocalFunction) -> None:
        self.functions[function.name] = function

    def by_logical_id(self, logical_id: str) -> LocalFunction:
        return next(f for f in self.functions.values() if f.logical_id == logical_id)

    def check_fault_targets(self) -> None:
        self.faults.check_targets({f.fault_target for f in self.functions.values()})

    def invoke(self, name: str, event: Any) -> Invocation:
        function = self.functions.get(name)
        if function is None:
            return Invocation(
                {"Type": "User", "message": f"Function not found: {name}"},
                api_error="ResourceNotFoundException",
                status=404,
            )
        with self._lock:
            self.invocations[function.logical_id] = self.invocations.get(function.logical_id, 0) + 1
        fault = self.faults.take(function.fault_target, event)
        if fault is None:
            return self._run_with_timeout(function, event)
        # A warning, so that it reaches the runtime's log: the tests read there which faults fired.
        logger.warning(fired_line(function.fault_target, fault.rule.error, fired_scope(event, fault)))
        if fault.runs_handler:
            ran = self._run_with_timeout(function, fault.event_for_handler(event))
            if fault.rule.error is FaultKind.undecodable:
                return ran
        answer = fault.answer(function.timeout_s)
        if answer.api_status is not None:
            payload = {"Type": "User", "message": answer.message}
            return Invocation(payload, api_error=answer.error_type, status=answer.api_status)
        return Invocation.error(answer.error_type, answer.message)

    def _run_with_timeout(self, function: LocalFunction, event: Any) -> Invocation:
        context = LambdaContext(function.name, function.arn, function.memory_mb, function.timeout_s)
        future = self._pool.submit(self._run, function, event, context)
        began = time.monotonic()
        try:
            return Invocation(future.result(timeout=function.timeout_s))
        except FutureTimeout:
            message = f"Task timed out after {function.timeout_s:.2f} seconds"
            logger.warning("%s: %s", function.logical_id, message)
            return Invocation.error("Sandbox.Timedout", message)
        except Exception as exc:  # noqa: BLE001 - a handler's error is the invocation's answer
            return Invocation.error(type(exc).__name__, str(exc))
        finally:
            meter.record_duration(function.logical_id, time.monotonic() - began)  # the cost model bills them

    def invoke_http(self, name: str, payload: bytes) -> tuple[int, dict[str, str], bytes]:
        """Lambda's Invoke API over HTTP (``infra/patches/lambda_invoke.py`` routes it here)."""
        answer = self.invoke(name, json.loads(payload or b"{}"))
        headers = {"content-type": "application/json"}
        if answer.api_error:
            headers["x-amzn-ErrorType"] = answer.api_error
        else:
            headers["x-amz-executed-version"] = "$LATEST"
        if answer.function_error:
            headers["x-amz-function-error"] = answer.function_error
        return answer.status, headers, json.dumps(answer.payload).encode()

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
