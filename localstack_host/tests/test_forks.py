"""Environments forked from a fork server (``forks``, ``runtime_client --fork-server``), in real processes,
against the recording stand-in for LocalStack's executor endpoint."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_runtime_client import Recorder, free_port, invoke

from localstack_host import forks

PRELOADED = """
import os
print("preloaded", os.getpid(), flush=True)
SEEN_AT_IMPORT = os.environ.get("MARK")
LOADED = []

def load():
    LOADED.append(os.getpid())
"""
HANDLER = """
import os, sys, time, shared

def handler(event, context):
    return {"mark": os.environ["MARK"], "at_import": shared.SEEN_AT_IMPORT, "loaded": shared.LOADED, "pid": os.getpid(),
            "cwd": os.getcwd(), "tz": time.tzname[0], "root_first": sys.path[0] == os.environ["LAMBDA_TASK_ROOT"]}
"""


@pytest.fixture
def recorder():
    recorder = Recorder()
    yield recorder
    recorder.server.shutdown()


@pytest.fixture
def server(tmp_path: Path, monkeypatch):
    (tmp_path / "shared.py").write_text(textwrap.dedent(PRELOADED))
    (tmp_path / "app.py").write_text(textwrap.dedent(HANDLER))
    monkeypatch.setenv(forks.PRELOAD_VARIABLE, "shared:load, not_shipped_here")
    server = forks.ForkServer(sys.executable, str(tmp_path), {"PATH": os.environ["PATH"], "MARK": "server"})
    yield server
    server.process.stdin.close()
    server.process.wait(timeout=30)


def spawn(server: forks.ForkServer, recorder: Recorder, code: Path, mark: str) -> tuple[forks.ForkedProcess, int]:
    port = free_port()
    env = {"PATH": os.environ["PATH"], "LOCALSTACK_RUNTIME_ENDPOINT": recorder.url, "LOCALSTACK_RUNTIME_ID": "env1",
           "LAMBDA_TASK_ROOT": str(code), "_HANDLER": "app.handler", "MARK": mark, "TZ": "UTC"}  # fmt: skip
    process = server.spawn(env, str(code), port)
    assert recorder.next() == ("/_localstack_lambda/env1/status/env1/ready", b"{}")
    return process, port


def result(recorder: Recorder, port: int, request_id: str) -> dict:
    invoke(port, request_id, {})
    assert recorder.next()[0].endswith(f"/invocations/{request_id}/logs")
    path, body = recorder.next()
    assert path.endswith(f"/invocations/{request_id}/response"), body
    return json.loads(body)


def test_each_forked_environment_has_its_own_variables_over_the_servers_imports(server, recorder, tmp_path):
    first, first_port = spawn(server, recorder, tmp_path, "one")
    second, second_port = spawn(server, recorder, tmp_path, "two")
    try:
        one, two = result(recorder, first_port, "r1"), result(recorder, second_port, "r2")
        assert (one["mark"], two["mark"]) == ("one", "two")
        # The preloaded module was imported once, in the server, with the server's environment, and its
        # loader ran there, once.
        assert one["at_import"] == two["at_import"] == "server"
        assert one["loaded"] == two["loaded"] == [server.process.pid]
        assert len({one["pid"], two["pid"], server.process.pid}) == 3
        assert one["cwd"] == str(tmp_path) and one["tz"] == "UTC" and one["root_first"]
    finally:
        for process in (first, second):
            process.kill()
            process.wait(timeout=30)


def test_a_killed_environment_is_seen_to_end_and_the_server_serves_on(server, recorder, tmp_path):
    process, _ = spawn(server, recorder, tmp_path, "one")
    assert process.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        process.wait(timeout=0.2)
    process.kill()
    process.wait(timeout=30)  # raises if it is still running
    assert process.poll() == 0
    assert process.stdout.read() == ""  # its end of the pipe closed with it

    again, port = spawn(server, recorder, tmp_path, "two")
    try:
        assert result(recorder, port, "r3")["mark"] == "two"
    finally:
        again.kill()
        again.wait(timeout=30)


def test_an_environment_ends_when_its_executor_lets_go_of_its_stdin(server, recorder, tmp_path):
    process, _ = spawn(server, recorder, tmp_path, "one")
    process.stdin.close()  # what the kernel does when LocalStack exits
    process.wait(timeout=30)  # raises if it is still running
    assert process.poll() == 0


def test_the_server_ends_when_its_stdin_closes(tmp_path, monkeypatch):
    monkeypatch.delenv(forks.PRELOAD_VARIABLE, raising=False)
    server = forks.ForkServer(sys.executable, str(tmp_path), {"PATH": os.environ["PATH"]})
    assert server.alive
    server.process.stdin.close()
    assert server.process.wait(timeout=30) == 0 and not server.alive


def test_a_retired_server_stops_and_the_next_one_imports_the_code_afresh(tmp_path, monkeypatch):
    monkeypatch.delenv(forks.PRELOAD_VARIABLE, raising=False)
    env = {"PATH": os.environ["PATH"]}
    first = forks.fork_server(sys.executable, str(tmp_path), env)
    assert forks.fork_server(sys.executable, str(tmp_path), env) is first  # one per interpreter and code
    forks.retire(str(tmp_path))
    assert first.process.wait(timeout=30) == 0
    second = forks.fork_server(sys.executable, str(tmp_path), env)
    try:
        assert second is not first and second.alive
    finally:
        forks.retire(str(tmp_path))
        second.process.wait(timeout=30)
