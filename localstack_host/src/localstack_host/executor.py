"""LocalStack's Lambda execution environments as processes on this machine (``LAMBDA_RUNTIME_EXECUTOR=host``).

LocalStack 4.14 runs functions only in Docker. This executor keeps LocalStack's whole Lambda service
(versions, concurrency, environments kept warm, event source mappings, logs) and replaces only the
container: each execution environment is one ``runtime_client`` process, started with the interpreter
of the function's runtime and LocalStack's environment for it, in the function's unpacked code.

It enforces the function's timeout itself, as Lambda's sandbox does: an invocation still running at
its timeout is answered ``Sandbox.Timedout`` and its process is killed; the environment starts a fresh
process before its next invocation. A process that dies mid-invocation answers ``Runtime.ExitError``.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import signal
import subprocess
import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path

import requests
from localstack import config
from localstack.services.lambda_.invocation.executor_endpoint import ExecutorEndpoint, StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.runtime_executor import LambdaRuntimeException, RuntimeExecutor
from localstack.utils.net import get_free_tcp_port

from . import runtime_client
from .interpreters import NoInterpreter, interpreter_for

LOG = logging.getLogger(__name__)
OUTPUT_LINES = 2000
"""Lines of a process's output kept for ``get_logs`` (LocalStack prints them when a start fails)."""
# What a process gets from this one besides LocalStack's variables: enough to find programs and decode text.
PASSED_THROUGH = ("PATH", "LANG", "LC_ALL", "TMPDIR")


def _loopback() -> str:
    host = config.GATEWAY_LISTEN[0].host
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


class HostRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.endpoint = ExecutorEndpoint(id, container_address="127.0.0.1")
        self.process: subprocess.Popen | None = None
        self.output: collections.deque[str] = collections.deque(maxlen=OUTPUT_LINES)
        self.env_vars: dict[str, str] = {}
        self._stale = False  # the process timed out or died: start another before the next invocation

    # --- lifecycle -----------------------------------------------------------------------------------
    def start(self, env_vars: dict[str, str]) -> None:
        code = self.function_version.config.code.get_unzipped_code_location()
        self.env_vars = {
            **{k: os.environ[k] for k in PASSED_THROUGH if k in os.environ},
            **{k: str(v) for k, v in env_vars.items()},
            "LAMBDA_TASK_ROOT": str(code),
            "LAMBDA_RUNTIME_DIR": str(Path(runtime_client.__file__).parent),
        }
        self.endpoint.start()
        self._spawn()
        self.endpoint.wait_for_startup()

    def _spawn(self) -> None:
        self.endpoint.container_port = get_free_tcp_port()
        interpreter = interpreter_for(self.function_version.config.runtime)
        self.process = subprocess.Popen(
            [interpreter, "-I", runtime_client.__file__, "--port", str(self.endpoint.container_port)],
            cwd=self.env_vars["LAMBDA_TASK_ROOT"],
            env=self.env_vars,
            stdin=subprocess.PIPE,  # never written: the process exits when it closes, with LocalStack
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,  # its own process group: stop() ends whatever the handler started too
        )
        threading.Thread(target=self._watch, args=(self.process,), name=f"lambda-{self.id}", daemon=True).start()

    def _watch(self, process: subprocess.Popen) -> None:
        """Keep the process's output; when it exits, fail whatever was waiting on it."""
        for line in process.stdout:
            self.output.append(line)
        process.wait()
        if process is not self.process:
            return
        self._stale = True
        detail = f"exit status {process.returncode}"
        if self.endpoint.startup_future and not self.endpoint.startup_future.done():
            error = {"errorType": "Runtime.ExitError", "errorMessage": f"Runtime exited during init: {detail}"}
            self.endpoint.startup_future.set_exception(
                StatusErrorException("Environment startup failed", payload=json.dumps(error).encode())
            )
        invocation = self.endpoint.invocation_future
        if invocation is not None and not invocation.done():
            error = {"errorType": "Runtime.ExitError", "errorMessage": f"Runtime exited: {detail}"}
            invocation.set_result(InvocationResult("", json.dumps(error).encode(), is_error=True, logs=self.get_logs()))

    def _kill(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
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

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass  # nothing beyond LocalStack's own unpacked code, which LocalStack removes

    @classmethod
    def validate_environment(cls) -> bool:
        return True
