"""The runtime client against a recording stand-in for LocalStack's executor endpoint (its HTTP side only:
LocalStack itself cannot run in `make test`), with a real handler module in a real process."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import textwrap
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread

import httpx
import pytest

from localstack_host import runtime_client

HANDLER = """
import asyncio, os, threading
print("imported once")

def handler(event, context):
    print("handling", event.get("n"))
    if event.get("raise"):
        raise KeyError("no such thing")
    if event.get("unserialisable"):
        return {1, 2}
    loop = asyncio.get_event_loop()  # what Mangum does: only the main thread has one to get
    return {
        "main": threading.current_thread() is threading.main_thread(),
        "loop": loop.run_until_complete(asyncio.sleep(0, "ran")),
        "event": event,
        "name": context.function_name,
        "remaining_ok": 0 < context.get_remaining_time_in_millis() <= 7000,
        "request_id": context.aws_request_id,
        "task_root_first": __import__("sys").path[0] == os.environ["LAMBDA_TASK_ROOT"],
    }
"""


class Recorder:
    """Records the callbacks a runtime posts, keyed by path."""

    def __init__(self) -> None:
        self.posts: queue.Queue[tuple[str, bytes]] = queue.Queue()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.posts.put((self.path, body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/_localstack_lambda/env1"

    def next(self) -> tuple[str, bytes]:
        return self.posts.get(timeout=30)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def recorder():
    recorder = Recorder()
    yield recorder
    recorder.server.shutdown()


def start(tmp_path: Path, recorder: Recorder, handler: str, source: str = HANDLER):
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    port = free_port()
    env = {
        "PATH": os.environ["PATH"],
        "LOCALSTACK_RUNTIME_ENDPOINT": recorder.url,
        "LOCALSTACK_RUNTIME_ID": "env1",
        "LAMBDA_TASK_ROOT": str(tmp_path),
        "_HANDLER": handler,
        "AWS_LAMBDA_FUNCTION_NAME": "fn",
        "AWS_LAMBDA_FUNCTION_TIMEOUT": "7",
    }
    process = subprocess.Popen(
        [sys.executable, "-I", runtime_client.__file__, "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.PIPE,  # as the executor holds it
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, port


def invoke(port: int, request_id: str, event: dict) -> None:
    payload = {"invoke-id": request_id, "invoked-function-arn": "arn:fn", "payload": json.dumps(event), "trace-id": ""}
    assert httpx.post(f"http://127.0.0.1:{port}/invoke", json=payload).status_code == 202


def test_ready_then_each_invocation_runs_on_the_main_thread_and_posts_its_logs_then_its_result(tmp_path, recorder):
    process, port = start(tmp_path, recorder, "app.handler")
    try:
        assert recorder.next() == ("/_localstack_lambda/env1/status/env1/ready", b"{}")
        for n, request_id in enumerate(["r1", "r2"]):
            invoke(port, request_id, {"n": n})
            path, logs = recorder.next()
            assert path == f"/_localstack_lambda/env1/invocations/{request_id}/logs"
            assert json.loads(logs)["logs"] == f"handling {n}\n"  # this invocation's output only
            path, body = recorder.next()
            assert path == f"/_localstack_lambda/env1/invocations/{request_id}/response"
            assert json.loads(body) == {
                "main": True,
                "loop": "ran",
                "event": {"n": n},
                "name": "fn",
                "remaining_ok": True,
                "request_id": request_id,
                "task_root_first": True,
            }
    finally:
        process.kill()
    assert process.communicate()[0].count("imported once") == 1  # warm: the module is imported at start only


def test_handler_exception_and_unserialisable_result_answer_lambdas_error_object(tmp_path, recorder):
    process, port = start(tmp_path, recorder, "app.handler")
    try:
        recorder.next()
        invoke(port, "bad", {"raise": True})
        assert "KeyError" in json.loads(recorder.next()[1])["logs"]
        path, body = recorder.next()
        error = json.loads(body)
        assert path.endswith("/invocations/bad/error")
        assert error["errorType"] == "KeyError" and error["errorMessage"] == "'no such thing'" and error["stackTrace"]
        invoke(port, "set", {"unserialisable": True})
        recorder.next()
        path, body = recorder.next()
        assert path.endswith("/invocations/set/error") and json.loads(body)["errorType"] == "Runtime.MarshalError"
    finally:
        process.kill()
        process.communicate()


@pytest.mark.parametrize(
    ("handler", "error_type"),
    [("missing_module.handler", "Runtime.ImportModuleError"), ("app.nothing_here", "Runtime.HandlerNotFound")],
)
def test_a_handler_that_cannot_load_reports_a_start_error_and_exits(tmp_path, recorder, handler, error_type):
    process, _ = start(tmp_path, recorder, handler)
    path, body = recorder.next()
    assert path == "/_localstack_lambda/env1/status/env1/error"
    assert json.loads(body)["errorType"] == error_type
    assert process.wait(timeout=30) == 1
    process.communicate()


def test_the_process_ends_when_its_executor_goes_away(tmp_path, recorder):
    process, _ = start(tmp_path, recorder, "app.handler")
    recorder.next()  # ready
    process.stdin.close()  # what the kernel does when LocalStack exits, however it ends
    assert process.wait(timeout=30) == 0
    process.stdout.close()
