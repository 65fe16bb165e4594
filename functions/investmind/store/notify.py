"""Same-process append notifications: a reader in the process that wrote need not wait for its next poll.

On AWS the API and the writers are different Lambdas, so readers poll the log; in the embedded
runtime they share a process, and a wake-up lets an SSE feed read a new event at once instead of
up to a poll interval later. A notification only says "look now": readers still read the log.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

_listeners: list[Callable[[str], None]] = []
_lock = threading.Lock()


def listen(callback: Callable[[str], None]) -> Callable[[], None]:
    """Call ``callback(task_id)`` after every append in this process; returns the unsubscribe function."""
    with _lock:
        _listeners.append(callback)

    def stop() -> None:
        with _lock:
            if callback in _listeners:
                _listeners.remove(callback)

    return stop


def appended(task_id: str) -> None:
    with _lock:
        listeners = list(_listeners)
    for callback in listeners:
        callback(task_id)
