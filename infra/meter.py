"""What the embedded runtime served while a benchmark records: AWS requests and function durations.

``infra/patches/metering.py`` records every request the moto server serves; ``infra/lambdas.py``
records every invocation's duration; ``infra/cost.py`` prices them.
"""

from __future__ import annotations

import threading


class Meter:
    """AWS requests served (service, action, payload sizes) and function durations, for ``infra/cost.py``.

    Records only between :meth:`start` and :meth:`stop`: a long ``make run`` would otherwise keep every
    request it ever served in memory.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recording = False
        self.requests: list[tuple[str, str, int, int, bytes]] = []
        self.durations: list[tuple[str, float]] = []

    def record(self, service: str, action: str, body: bytes, response_bytes: int) -> None:
        if self.recording:
            with self.lock:
                self.requests.append(
                    (service, action, len(body), response_bytes, body if service == "dynamodb" else b"")
                )

    def record_duration(self, logical_id: str, seconds: float) -> None:
        if self.recording:
            with self.lock:
                self.durations.append((logical_id, seconds))

    def start(self) -> None:
        with self.lock:
            self.requests, self.durations, self.recording = [], [], True

    def stop(self) -> tuple[list[tuple[str, str, int, int, bytes]], list[tuple[str, float]]]:
        with self.lock:
            self.recording = False
            return self.requests, self.durations


meter = Meter()
