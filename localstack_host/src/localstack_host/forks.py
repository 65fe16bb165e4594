"""Execution environments forked from a warm process per interpreter and code (``runtime_client --fork-server``).

Each environment used to be a fresh interpreter importing the same libraries (numpy, pandas, pydantic,
boto3, Powertools...) on its own: 110-150 MB apiece, some 30 of them while the integration suite runs. Forked
from one process that has imported them (``HOST_LAMBDA_PRELOAD``), they share those pages until they write
to them; data loaded there (an immutable bundle every function reads) is shared the same way. The environment's
variables, directory, streams and handler are its own, set after the fork, so a function sees what it saw
started on its own.

The executor holds a :class:`ForkedProcess` where it held a ``Popen``: the forked process is the server's
child, not LocalStack's, so it is watched through a pidfd (Linux) and killed by its process group.
"""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import socket
import subprocess
import threading
import uuid
from typing import IO

from . import runtime_client

LOG = logging.getLogger(__name__)
PRELOAD_VARIABLE = "HOST_LAMBDA_PRELOAD"
"""LocalStack's setting: what the fork servers import, comma-separated, ``module`` or ``module:function``
(a function then called with no arguments, to load data every environment reads and none writes). What a
preloaded module does at import must not depend on a function's environment: it runs in the server's."""


def preload() -> list[str]:
    return [entry.strip() for entry in os.environ.get(PRELOAD_VARIABLE, "").split(",") if entry.strip()]


READY_TIMEOUT_S = 120


class ForkServer:
    """One ``runtime_client --fork-server`` process, for one interpreter and one directory of code."""

    def __init__(self, interpreter: str, code: str, env: dict[str, str]) -> None:
        # An abstract socket (Linux): no path to outgrow a socket address's 108 bytes, none to clean up.
        self.control = f"lambda-forks-{uuid.uuid4().hex}"
        self.process = subprocess.Popen(
            [interpreter, "-I", runtime_client.__file__, "--fork-server", self.control, "--code", code,
             "--preload", ",".join(preload())],
            cwd=code,
            env={**env, "OPENBLAS_NUM_THREADS": "1"},  # no BLAS threads in a process that forks
            stdin=subprocess.PIPE,  # never written: the server exits when it closes, with LocalStack
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )  # fmt: skip
        said = _until_ready(self.process.stdout, READY_TIMEOUT_S)
        if said is not None:
            self.process.kill()
            raise RuntimeError(f"the fork server for {code} did not start: {said[-2000:]}")
        threading.Thread(target=self._drain, name="lambda-fork-server", daemon=True).start()

    def _drain(self) -> None:
        for line in self.process.stdout:
            LOG.debug("fork server: %s", line.rstrip())

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def spawn(self, env: dict[str, str], cwd: str, port: int) -> ForkedProcess:
        """A new environment's process, its stdout and stderr one pipe, its stdin held open by the handle."""
        stdin_read, stdin_write = os.pipe()
        out_read, out_write = os.pipe()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as control:
                control.connect(f"\0{self.control}")
                message = json.dumps({"env": env, "cwd": cwd, "port": port}).encode()
                socket.send_fds(control, [message], [stdin_read, out_write, out_write])
                pid = json.loads(control.recv(4096))["pid"]
        except BaseException:
            os.close(stdin_write)
            os.close(out_read)
            raise
        finally:
            os.close(stdin_read)
            os.close(out_write)
        return ForkedProcess(pid, os.fdopen(stdin_write, "w"), os.fdopen(out_read, errors="replace"))


class ForkedProcess:
    """What the executor needs of a ``Popen`` for a process that is not its child: ``pid``, ``stdout``,
    ``poll()``, ``wait()``, ``kill()``; no exit status (the server's kernel reaps it, nobody gets its status)."""

    def __init__(self, pid: int, stdin: IO[str], stdout: IO[str]) -> None:
        self.pid, self.stdin, self.stdout = pid, stdin, stdout
        try:
            self._pidfd: int | None = os.pidfd_open(pid)
        except ProcessLookupError:
            self._pidfd = None  # already gone
        self._closing = threading.Lock()

    def poll(self) -> int | None:
        """None while it runs, as ``Popen.poll``; 0 once it has exited (its status is not known here)."""
        return 0 if self._exited(timeout=0) else None

    def wait(self, timeout: float | None = None) -> int:
        """Once it has exited (the executor's watcher and its kill may both wait, at once); as ``Popen.wait``,
        ``subprocess.TimeoutExpired`` when it still runs after ``timeout`` seconds."""
        if not self._exited(timeout):
            raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0.0)
        with self._closing:
            self.stdin.close()
        return 0

    def _exited(self, timeout: float | None) -> bool:
        # The pidfd stays open as long as this handle lives: closed under a waiter, its number could be reused.
        return self._pidfd is None or bool(select.select([self._pidfd], [], [], timeout)[0])

    def __del__(self) -> None:
        if self._pidfd is not None:
            os.close(self._pidfd)

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)  # its session: whatever the handler started goes too
        except ProcessLookupError:
            pass


def _until_ready(stream: IO[str], timeout_s: float) -> str | None:
    """None once ``stream`` says ``ready`` within ``timeout_s``, else what it said (the imports may print
    first; a thread reads, since a pipe has no timeout)."""
    said: list[str] = []
    ready = threading.Event()

    def read() -> None:
        for line in stream:
            if line.strip() == "ready":
                ready.set()
                return
            said.append(line)

    threading.Thread(target=read, daemon=True).start()
    return None if ready.wait(timeout_s) else "".join(said)


_SERVERS: dict[tuple[str, str], ForkServer] = {}
_SERVERS_LOCK = threading.Lock()


def fork_server(interpreter: str, code: str, env: dict[str, str]) -> ForkServer:
    """The fork server of this interpreter and code, started on first use (and again if it died)."""
    with _SERVERS_LOCK:
        server = _SERVERS.get((interpreter, code))
        if server is None or not server.alive:
            server = _SERVERS[(interpreter, code)] = ForkServer(interpreter, code, env)
        return server


def retire(code: str) -> None:
    """Stop the servers of this code (a new function version): the next environment gets a fresh one, which
    imports the code as it is now. Environments forked from a stopped server run on."""
    with _SERVERS_LOCK:
        for key in [key for key in _SERVERS if key[1] == code]:
            _SERVERS.pop(key).process.stdin.close()
