"""What the network providers share: date windows, concurrent sub-calls, lazy library imports."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, TypeVar

import pandas as pd

from ..adjust import adjusted_close
from ..base import BAR_COLUMNS, PartUnavailable
from ..trading import CHINA

INSTALL_HINT = "pip install 'investmind[providers]'"
T = TypeVar("T")

_FAN_OUT = ThreadPoolExecutor(max_workers=16, thread_name_prefix="market-fan-out")
"""Sub-calls of one part (a peer's bars each). Not the fetcher's pool: a part waiting on its own pool's
queue could wait behind the parts that wait on it."""


class SourceError(Exception):
    """A library call failed; the message is safe to log (the original exception is not chained)."""


def window(end: dt.date | None, lookback_days: int) -> tuple[dt.date, dt.date]:
    """(first, last) date to ask a source for: ``lookback_days`` up to ``end``, or up to today in Shanghai."""
    last = end or dt.datetime.now(CHINA).date()
    return last - dt.timedelta(days=lookback_days), last


def ymd(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def between(frame: pd.DataFrame, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Rows dated ``first`` .. ``last``: some sources return their whole history whatever was asked."""
    return frame.loc[pd.Timestamp(first) : pd.Timestamp(last)]


def fan_out(calls: Sequence[Callable[[], T]], timeout_s: float) -> list[T | Exception]:
    """Every call at once on worker threads: each one's value, or its exception (``TimeoutError`` for a
    call still running after ``timeout_s``; its thread finishes on its own, as a thread cannot be killed).
    """
    futures = [_FAN_OUT.submit(fn) for fn in calls]
    wait(futures, timeout=timeout_s)
    outcomes: list[T | Exception] = []
    for future in futures:
        if not future.done():
            future.cancel()
            outcomes.append(TimeoutError(f"no answer in {timeout_s:g}s"))
        elif (error := future.exception()) is not None:
            outcomes.append(error if isinstance(error, Exception) else RuntimeError(repr(error)))
        else:
            outcomes.append(future.result())
    return outcomes


def nonempty(frame: Any, what: str) -> pd.DataFrame:
    if frame is None or not len(frame):
        raise PartUnavailable(f"{what} returned no rows")
    return frame


class LazyModule:
    """A library imported on first use, once however many threads ask (importing akshare takes seconds).

    Importing it here rather than at module level keeps the Lambdas that never use it (the default
    chain is ``bundled``) free of it; when it is not installed the provider says so and the chain
    goes on to the next one.
    """

    def __init__(self, name: str, module: Any = None) -> None:
        self._name = name
        self._module = module
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._module is None:
                try:
                    self._module = importlib.import_module(self._name)
                except ImportError as exc:
                    raise PartUnavailable(f"{self._name} is not installed ({INSTALL_HINT})") from exc
            return self._module

    def get(self) -> Any:
        return self._module if self._module is not None else self._load()


def adjusted_closes(bars: Mapping[str, pd.DataFrame]) -> dict[str, pd.Series]:
    """Canonical symbol → closes adjusted through ex-dates, for the stocks that have bars."""
    return {s: adjusted_close(frame) for s, frame in bars.items() if len(frame)}


def bar_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reindex(columns=BAR_COLUMNS).astype("float64")
