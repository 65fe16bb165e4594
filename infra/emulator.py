"""The moto server the embedded runtime runs in-process, patched for it (``infra/patches/``).

The patches (one module each, with what moto or werkzeug does wrong and the version each was
written against): requests metered for the cost model; DynamoDB and its streams serialised
behind one lock; an in-place ``TransactWriteItems`` rollback; the server's service dispatch
memoised; Lambda Invoke answered by the runtime's in-process functions; one Lambda client per
region for Step Functions, which names a failed Invoke ``Lambda.<code>`` as AWS does; a deeper
listen backlog. Step Functions executes the state machines (moto's interpreter), switched on
through ``/moto-api/config``.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import urllib.request

from moto.server import ThreadedMotoServer

from . import patches
from .meter import meter
from .patches.lambda_invoke import Invoker

_applied = False
_apply_lock = threading.Lock()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _patch_once() -> None:
    global _applied
    with _apply_lock:
        if not _applied:
            patches.apply_all()
            _applied = True


class MotoEmulator:
    """A moto server on loopback, patched for the embedded runtime; ``invoker`` answers Lambda Invoke."""

    def __init__(self, invoker: Invoker, port: int | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._invoker = invoker

    def start(self) -> None:
        _patch_once()
        patches.lambda_invoke.attach(self._invoker)
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
        self._server.stop()
        patches.lambda_invoke.attach(None)


__all__ = ["Invoker", "MotoEmulator", "free_port", "meter"]
