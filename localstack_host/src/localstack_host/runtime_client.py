"""One Lambda execution environment on the host: the process that LocalStack's executor protocol talks to.

Started by ``executor.HostRuntimeExecutor`` with the function's interpreter (``python3.13 -I`` for the
python3.13 runtime) and the environment LocalStack builds for an execution environment. Standard
library only: it runs beside the function's own packages and must not bring any.

The protocol (LocalStack's ``executor_endpoint``, the one its Docker runtime's init speaks):
- after the handler module is imported, POST ``{LOCALSTACK_RUNTIME_ENDPOINT}/status/{id}/ready``, or
  ``…/status/{id}/error`` with the error if the import failed;
- LocalStack POSTs ``{"invoke-id", "invoked-function-arn", "payload", "trace-id"}`` to ``/invoke`` here;
- the invocation's output goes to ``…/invocations/{invoke-id}/logs`` as ``{"logs": …}``, then its result
  to ``…/invocations/{invoke-id}/response``, or Lambda's error object to ``…/invocations/{invoke-id}/error``.

Handlers run on the main thread, one invocation at a time, as in Lambda's own runtime: Mangum takes the
main thread's event loop, and asyncio creates one implicitly only there.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import queue
import sys
import threading
import time
import traceback
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Tee(io.TextIOBase):
    """The process's stdout or stderr, also copied into the current invocation's log while one runs."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.capture: list[str] | None = None
        """The running invocation's log (shared by stdout and stderr), None between invocations."""

    def write(self, text: str) -> int:
        capture = self.capture
        if capture is not None:
            capture.append(text)  # list.append is atomic: threads of the handler may print too
        self._stream.write(text)
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self._stream.encoding


class Context:
    """The attributes of Lambda's Python context object."""

    def __init__(self, request_id: str, invoked_arn: str, timeout_s: float) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE") or 128)
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def error_object(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    """What Lambda's Python runtime reports for an exception (Step Functions matches on errorType)."""
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "stackTrace": traceback.format_tb(exc.__traceback__),
    }


def post(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    with _NO_PROXY.open(request, timeout=30) as response:
        response.read()


def load_handler(spec: str) -> Any:
    """``package.module.attribute`` (Lambda's Handler setting) → the callable."""
    module_name, _, attribute = spec.rpartition(".")
    if not module_name:
        raise ValueError(f"Bad handler '{spec}': expected module.function")
    return getattr(importlib.import_module(module_name), attribute)


def serve_invocations(port: int, invocations: queue.Queue) -> ThreadingHTTPServer:
    class InvokeHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            if self.path != "/invoke":
                self.send_error(404)
                return
            invocations.put(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0))))
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), InvokeHandler)
    threading.Thread(target=server.serve_forever, name="invoke-endpoint", daemon=True).start()
    return server


def exit_with_parent() -> None:
    """The executor holds this process's stdin open; EOF means LocalStack is gone, however it ended."""
    while os.read(0, 4096):  # not sys.stdin: its buffer's lock, held here, would abort the interpreter's exit
        pass
    os._exit(0)


def run_one(handler: Any, invocation: dict[str, Any], endpoint: str, timeout_s: float, tees: list[Tee]) -> None:
    request_id = invocation["invoke-id"]
    os.environ["_X_AMZN_TRACE_ID"] = invocation.get("trace-id") or ""
    captured: list[str] = []
    for tee in tees:
        tee.capture = captured
    outcome = "response"
    try:
        event = json.loads(invocation.get("payload") or "{}")
        result = handler(event, Context(request_id, invocation.get("invoked-function-arn", ""), timeout_s))
        try:
            body = json.dumps(result).encode()
        except (TypeError, ValueError) as exc:
            outcome, body = "error", json.dumps(error_object(exc, "Runtime.MarshalError")).encode()
    except Exception as exc:  # noqa: BLE001 - a handler's exception is the invocation's answer
        traceback.print_exc()
        outcome, body = "error", json.dumps(error_object(exc)).encode()
    finally:
        for tee in tees:
            tee.flush()
            tee.capture = None
    post(f"{endpoint}/invocations/{request_id}/logs", json.dumps({"logs": "".join(captured)}).encode())
    post(f"{endpoint}/invocations/{request_id}/{outcome}", body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True, help="where LocalStack posts invocations")
    args = parser.parse_args(argv)
    endpoint = os.environ["LOCALSTACK_RUNTIME_ENDPOINT"].rstrip("/")
    runtime_id = os.environ["LOCALSTACK_RUNTIME_ID"]
    timeout_s = float(os.environ.get("AWS_LAMBDA_FUNCTION_TIMEOUT") or 3)

    tees = [Tee(sys.stdout), Tee(sys.stderr)]
    sys.stdout, sys.stderr = tees  # before the handler's import: loggers it creates write through them
    threading.Thread(target=exit_with_parent, name="parent-watch", daemon=True).start()
    invocations: queue.Queue = queue.Queue()
    serve_invocations(args.port, invocations)

    # -I keeps the interpreter's own paths out; the function's code is what Lambda puts first.
    sys.path.insert(0, os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd())
    try:
        handler = load_handler(os.environ["_HANDLER"])
    except Exception as exc:  # noqa: BLE001 - reported to LocalStack as Lambda reports an init error
        traceback.print_exc()
        error_type = "Runtime.ImportModuleError" if isinstance(exc, ImportError) else "Runtime.HandlerNotFound"
        post(f"{endpoint}/status/{runtime_id}/error", json.dumps(error_object(exc, error_type)).encode())
        return 1
    post(f"{endpoint}/status/{runtime_id}/ready", b"{}")
    while True:
        run_one(handler, invocations.get(), endpoint, timeout_s, tees)


if __name__ == "__main__":
    sys.exit(main())
