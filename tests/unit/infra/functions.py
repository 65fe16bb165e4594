"""Handlers for the in-process invoker's tests: they record their calls, or block until released."""

from __future__ import annotations

import threading
from typing import Any

calls: list[dict] = []
release = threading.Event()


def record(event: dict, context: Any) -> dict:
    calls.append(event)
    return {"ran": True}


def block(event: dict, context: Any) -> dict:
    release.wait(timeout=30)
    return {"ran": True}


def fail(event: dict, context: Any) -> dict:
    raise ValueError(f"cannot analyse {event.get('symbol')}")
