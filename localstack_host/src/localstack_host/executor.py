"""LocalStack's Lambda execution environments as processes on this machine (``LAMBDA_RUNTIME_EXECUTOR=host``).

LocalStack 4.14 runs functions only in Docker. This executor keeps LocalStack's whole Lambda service
(versions, concurrency, environments kept warm, event source mappings, logs) and replaces only the
container: each execution environment is one ``runtime_client`` process, forked from a warm process of the
interpreter of the function's runtime (``forks``), with LocalStack's environment for it, in the function's
unpacked code.

It enforces the function's timeout itself, as Lambda's sandbox does: an invocation still running at
its timeout is answered ``Sandbox.Timedout`` and its process is killed; the environment starts a fresh
process before its next invocation. A process that dies mid-invocation answers ``Runtime.ExitError``.

A function whose environment carries a fault plan (``INVESTMIND_FAULTS``, with its
``INVESTMIND_FAULT_TARGET``: the integration suite sets both on its own stack) has the plan applied here,
before its process sees the invocation, as the embedded runtime's invoker applies it
(``investmind_emulation.faults``; one plan for every function, so that counts per task and the symbols
seen are shared). The faults thus go through LocalStack's own Lambda error path: Step Functions' Retry and
Catch, the event source mappings' retries. A throttle is raised as the Invoke API's
``TooManyRequestsException`` (LocalStack then stops that environment, as it does after any executor
error). Each fault fired adds :func:`~investmind_emulation.faults.fired_line` to the invocation's log,
so it reaches the function's CloudWatch Logs group.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import requests
from localstack import config
from localstack.aws.api.lambda_ import TooManyRequestsException
from localstack.services.lambda_.invocation.executor_endpoint import ExecutorEndpoint, StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import LambdaRuntimeException, RuntimeExecutor
from localstack.utils.net import get_free_tcp_port

from investmind_emulation.faults import (
    FAULT_TARGET_VARIABLE,
    FAULTS_VARIABLE,
    FaultKind,
    FaultPlan,
    fired_line,
    fired_scope,
)

from . import forks, runtime_client
from .interpreters import NoInterpreter, interpreter_for

LOG = logging.getLogger(__name__)
OUTPUT_LINES = 2000
"""Lines of a process's output kept for ``get_logs`` (LocalStack prints them when a start fails)."""
# What a process gets from this one besides LocalStack's variables: enough to find programs and decode text.
PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "TMPDIR")


_PLANS: dict[str, FaultPlan] = {}
_PLANS_LOCK = threading.Lock()


def _fault_plan(env_vars: dict[str, str]) -> tuple[FaultPlan, str] | None:
    """The plan in a function's environment and the function's name in it; the same plan text, the same plan."""
    text = env_vars.get(FAULTS_VARIABLE, "")
    if not text.strip():
        return None
    target = env_vars.get(FAULT_TARGET_VARIABLE)
    if not target:
        raise LambdaRuntimeException(
            f"{FAULTS_VARIABLE} is set without {FAULT_TARGET_VARIABLE}: whose faults are they?"
        )
    with _PLANS_LOCK:
        if text not in _PLANS:
            try:
                _PLANS[text] = FaultPlan.from_json(text)
            except ValueError as exc:
                raise LambdaRuntimeException(str(exc)) from exc
        return _PLANS[text], target


def _loopback() -> str:
    host = config.GATEWAY_LISTEN[0].host
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


class HostRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.endpoint = ExecutorEndpoint(id, container_address="127.0.0.1")
        self.process: forks.ForkedProcess | None = None
        self.output: collections.deque[str] = collections.deque(maxlen=OUTPUT_LINES)
        self.env_vars: dict[str, str] = {}
        self._stale = False  # the process timed out or died: start another before the next invocation
        self.faults: tuple[FaultPlan, str] | None = None

    # --- lifecycle -----------------------------------------------------------------------------------
    def start(self, env_vars: dict[str, str]) -> None:
        code = self.function_version.config.code.get_unzipped_code_location()
        self.env_vars = {
            **self._passed_through(),
            **{k: str(v) for k, v in env_vars.items()},
            "LAMBDA_TASK_ROOT": str(code),
            "LAMBDA_RUNTIME_DIR": str(Path(runtime_client.__file__).parent),
        }
        self.faults = _fault_plan(self.env_vars)
        self.endpoint.start()
        self._spawn()
        self.endpoint.wait_for_startup()

    def _spawn(self) -> None:
        self.endpoint.container_port = get_free_tcp_port()
        code = self.env_vars["LAMBDA_TASK_ROOT"]
        interpreter = interpreter_for(self.function_version.config.runtime)
        for attempt in (1, 2):
            server = forks.fork_server(interpreter, code, self._passed_through())
            try:
                self.process = server.spawn(self.env_vars, code, self.endpoint.container_port)
                break
            except OSError:  # that server was retired (a new version) as it was asked: its successor forks
                if attempt == 2:
                    raise
        threading.Thread(target=self._watch, args=(self.process,), name=f"lambda-{self.id}", daemon=True).start()

    @staticmethod
    def _passed_through() -> dict[str, str]:
        return {k: os.environ[k] for k in PASSED_THROUGH if k in os.environ}

    def _watch(self, process: forks.ForkedProcess) -> None:
        """Keep the process's output; when it exits, fail whatever was waiting on it."""
        for line in process.stdout:
            self.output.append(line)
        process.wait()
        if process is not self.process:
            return
        self._stale = True
        if self.endpoint.startup_future and not self.endpoint.startup_future.done():
            error = {"errorType": "Runtime.ExitError", "errorMessage": "Runtime exited during init"}
            self.endpoint.startup_future.set_exception(
                StatusErrorException("Environment startup failed", payload=json.dumps(error).encode())
            )
        invocation = self.endpoint.invocation_future
        if invocation is not None and not invocation.done():
            error = {"errorType": "Runtime.ExitError", "errorMessage": "Runtime exited"}
            invocation.set_result(InvocationResult("", json.dumps(error).encode(), is_error=True, logs=self.get_logs()))

    def _kill(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def _restart(self) -> None:
        self._kill()
        self._stale = False
        self.endpoint.startup_future = Future()
        self._spawn()
        self.endpoint.wait_for_startup()

    def stop(self) -> None:
        self._kill()
        try:
            self.endpoint.shutdown()
        except Exception as exc:  # noqa: BLE001 - LocalStack's own executor swallows this too
            LOG.debug("stopping the endpoint of %s: %s", self.id, exc)

    # --- invocations ----------------------------------------------------------------------------------
    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        if self.faults is None:
            return self._run(payload)
        plan, target = self.faults
        event = json.loads(payload.get("payload") or "null")
        firing = plan.take(target, event)
        if firing is None:
            return self._run(payload)
        line = fired_line(target, firing.rule.error, fired_scope(event, firing))
        LOG.warning("%s: %s", self.function_version.qualified_arn, line)
        logs = ""
        if firing.runs_handler:
            ran = self._run({**payload, "payload": json.dumps(firing.event_for_handler(event))})
            if firing.rule.error is FaultKind.undecodable:
                ran.logs = f"{line}\n{ran.logs or ''}"
                return ran
            self._stale = True  # a crash: the process dies after the handler ran, and its answer is lost
            self._kill()
            logs = ran.logs or ""
        answer = firing.answer(float(self.function_version.config.timeout))
        if answer.api_status is not None:
            raise TooManyRequestsException(
                answer.message, Type="User", Reason="ReservedFunctionConcurrentInvocationLimitExceeded"
            )
        error = {"errorType": answer.error_type, "errorMessage": answer.message}
        return InvocationResult(payload["invoke-id"], json.dumps(error).encode(), is_error=True, logs=f"{logs}{line}\n")

    def _run(self, payload: dict[str, str]) -> InvocationResult:
        """The invocation, by the process."""
        if self._stale or self.process is None:
            self._restart()
        timeout_s = float(self.function_version.config.timeout)
        self.endpoint.invocation_future = future = Future()
        self.endpoint.logs = None
        response = requests.post(
            f"http://127.0.0.1:{self.endpoint.container_port}/invoke",
            json=payload,
            proxies={"http": "", "https": ""},
            timeout=10,
        )
        if not response.ok:
            raise LambdaRuntimeException(f"the runtime of {self.id} refused the invocation: {response.status_code}")
        try:
            return future.result(timeout=timeout_s)
        except FutureTimeout:
            self._stale = True
            self._kill()
            message = f"Task timed out after {timeout_s:.2f} seconds"
            LOG.info("%s: %s", self.function_version.qualified_arn, message)
            error = {"errorType": "Sandbox.Timedout", "errorMessage": message}
            return InvocationResult(payload["invoke-id"], json.dumps(error).encode(), is_error=True, logs=message)

    # --- addresses and logs ---------------------------------------------------------------------------
    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return _loopback()

    def get_runtime_endpoint(self) -> str:
        port = config.GATEWAY_LISTEN[0].port
        return f"http://{self.get_endpoint_from_executor()}:{port}{self.endpoint.get_endpoint_prefix()}"

    def get_logs(self) -> str:
        return "".join(self.output)

    # --- versions -------------------------------------------------------------------------------------
    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        try:
            interpreter_for(function_version.config.runtime)
        except NoInterpreter as exc:
            raise LambdaRuntimeException(str(exc)) from exc
        if function_version.config.code:
            function_version.config.code.prepare_for_execution()
            forks.retire(str(function_version.config.code.get_unzipped_code_location()))

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass  # nothing beyond LocalStack's own unpacked code, which LocalStack removes

    @classmethod
    def validate_environment(cls) -> bool:
        return True
