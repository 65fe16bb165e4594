"""The market as the handlers see it: async snapshots, and a sync door onto them from Lambda handlers."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from .assemble import SnapshotAssembler
from .snapshot import Snapshot

T = TypeVar("T")


class _LoopThread:
    """One event loop on a daemon thread, shared by every sync caller in the process.

    Why not ``asyncio.run`` per call: it closes the loop's default executor on the way out and
    waits for its threads, so one library call still hanging after its timeout (a thread cannot be
    killed) would block the handler until it returned. On a long-lived loop the timed-out thread
    finishes in the background, and fetches in flight are shared by the threads that ask at once.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                # Provider calls run on threads (asyncio.to_thread); the default pool (CPU count + 4)
                # is small on a Lambda, and a timed-out call keeps its thread until it returns.
                loop.set_default_executor(ThreadPoolExecutor(max_workers=32, thread_name_prefix="market-io"))
                ready = threading.Event()

                def serve() -> None:
                    asyncio.set_event_loop(loop)
                    loop.call_soon(ready.set)
                    loop.run_forever()

                self._thread = threading.Thread(target=serve, name="market-loop", daemon=True)
                self._thread.start()
                ready.wait()
                self._loop = loop
            return self._loop

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        loop = self._start()
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("a sync market call from the market loop itself would deadlock; await it")
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout)


_LOOP = _LoopThread()


class Market:
    """Snapshots from one provider chain and cache (see ``factory.build_market``).

    Parameters
    ----------
    assembler
        Builds the snapshot from its parts.
    deadline_s
        The longest a sync caller waits for a whole snapshot; every part has its own, shorter
        timeouts, so this only bounds a bug.
    """

    def __init__(self, assembler: SnapshotAssembler, deadline_s: float = 120.0) -> None:
        self.assembler = assembler
        self._deadline = deadline_s

    async def snapshot(self, symbol: str, as_of: dt.date | None = None) -> Snapshot:
        return await self.assembler.snapshot(symbol, as_of)

    def load_snapshot(self, symbol: str, as_of: dt.date | None = None) -> Snapshot:
        """``snapshot`` for sync code (the pipeline's ``load_snapshot``), run on the process's market loop."""
        return _LOOP.run(self.assembler.snapshot(symbol, as_of), self._deadline)
