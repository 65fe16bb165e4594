"""Helpers shared by every test tier."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(probe: Callable[[], T], timeout: float, interval: float = 0.05, what: str = "condition") -> T:
    """Return the first truthy value of ``probe()``; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# Property tests assert behaviour, not speed: no per-example deadline (a loaded machine is slow, not wrong).
from hypothesis import settings  # noqa: E402

settings.register_profile("investmind", deadline=None)
settings.load_profile("investmind")
