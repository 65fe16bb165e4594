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

With ``--fork-server`` it is instead the process the environments are forked from (``fork_server``): it
imports the libraries every function shares once, and each environment starts as a copy of it, sharing
those pages until it writes them (on this machine, ~30 environments of 110-150 MB each were most of the
memory the suite took on LocalStack). It is what Lambda's own runtime is before the function's handler is
imported; the function's environment, directory and handler are set after the fork.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import json
import os
import queue
import select
import signal
import socket
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


SPAWN_MESSAGE_MAX = 1 << 20
"""The largest spawn request (an environment's variables, as JSON)."""


def fork_server(control: str, code_root: str, preload: list[str]) -> int:
    """Import ``preload`` from ``code_root`` (``module``, or ``module:function`` to call it too), then fork an
    environment for each request on ``control`` (the name of an abstract Unix socket).

    A request is one SEQPACKET message: ``{"env", "cwd", "port"}`` with three file descriptors, the new
    process's stdin, stdout and stderr; the answer is ``{"pid": …}``. A forked process starts a session of its
    own (its pid is its process group, which the executor kills) and runs :func:`main`. Children are reaped
    by the kernel (SIGCHLD ignored): the executor watches them through their pid, not their status. The
    server exits when its stdin closes (the executor's end: LocalStack gone).
    """
    sys.path.insert(0, code_root)
    for entry in preload:
        name, _, function = entry.partition(":")
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue  # a library this function's code does not ship: its environments import what they have
        if function:
            getattr(module, function)()
    gc.collect()
    gc.freeze()  # the collector no longer writes to the preloaded objects, so their pages stay shared
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server.bind(f"\0{control}")  # an abstract socket: nothing on disk
    server.listen(64)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:  # one thread only: a process forked while others run may inherit a lock one of them held
        readable, _, _ = select.select([server, 0], [], [])
        if 0 in readable and not os.read(0, 4096):
            return 0
        if server not in readable:
            continue
        connection, _ = server.accept()
        with connection:
            message, fds, _, _ = socket.recv_fds(connection, SPAWN_MESSAGE_MAX, 3)
            request = json.loads(message)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # the new environment: nothing of the server's but its imports
                try:
                    connection.close()
                    server.close()
                    _become(request, fds)
                    code = main(["--port", str(request["port"])])
                except BaseException:  # noqa: BLE001 - whatever it was, this process must not return to the loop
                    traceback.print_exc()
                    code = 1
                os._exit(code)
            for fd in fds:
                os.close(fd)
            connection.sendall(json.dumps({"pid": pid}).encode())


def _become(request: dict[str, Any], fds: list[int]) -> None:
    """The forked process takes its own session, streams, environment and directory."""
    os.setsid()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the handler's own subprocesses are waited for as usual
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()  # TZ is the function's now (Lambda sets UTC)
    os.chdir(request["cwd"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help="where LocalStack posts invocations")
    parser.add_argument("--fork-server", metavar="NAME", help="serve forks on this abstract Unix socket instead")
    parser.add_argument("--code", help="with --fork-server: the functions' code, which the imports come from")
    parser.add_argument("--preload", default="", help="with --fork-server: modules to import, comma-separated")
    args = parser.parse_args(argv)
    if args.fork_server:
        return fork_server(args.fork_server, args.code, [m for m in args.preload.split(",") if m])
    if args.port is None:
        parser.error("--port is required")
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
