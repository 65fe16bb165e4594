"""Stand-ins for providers, the real rows the library fakes re-express, and the controls they share.

The library fakes (akshare, tushare) are in ``fake_libraries``.
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
from typing import Any

import pandas as pd

from investmind.market.base import PartUnavailable, Profile
from investmind.market.bundled import DATA_DIR


@functools.cache
def baostock(code: str) -> pd.DataFrame:
    """Real daily rows of one 2020-2025 stock (``sh.600519``), indexed by date."""
    frame = pd.read_csv(DATA_DIR / "cn_daily_61_2020_2025.csv.gz", dtype={"code": str}, parse_dates=["date"])
    return frame[frame["code"] == code].set_index("date").sort_index()


@functools.cache
def csi300() -> pd.DataFrame:
    return pd.read_csv(DATA_DIR / "csi300_daily_2020_2025.csv.gz", parse_dates=["date"]).set_index("date")


@functools.cache
def zvt_reports(code: str) -> pd.DataFrame:
    frame = pd.read_csv(
        DATA_DIR / "cn_fundamentals_quarterly_2005_2020.csv.gz", dtype={"code": str}, parse_dates=["report_date"]
    )
    return frame[frame["code"] == code].set_index("report_date").sort_index()


def between(frame: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    return frame.loc[pd.Timestamp(start) : pd.Timestamp(end)]


class Controls:
    """What the tests steer: calls seen, and per function a failure, a block or an empty answer."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail: dict[str, BaseException] = {}
        self.block: dict[str, threading.Event] = {}
        self.empty: set[str] = set()

    def enter(self, name: str, **kwargs: Any) -> bool:
        """Record the call; raise or block as told; True when the answer must be empty."""
        self.calls.append((name, kwargs))
        if name in self.fail:
            raise self.fail[name]
        if name in self.block:
            self.block[name].wait(10)  # released by the test; the bound keeps a broken test from hanging
        return name in self.empty

    def called(self, name: str) -> int:
        return sum(1 for n, _ in self.calls if n == name)


class FakeProvider:
    """A provider with canned parts: each method answers from ``parts`` and counts its calls.

    ``behaviour[part]`` may be an exception (raised), ``"hang"`` (waits for ``release``), or a
    callable returning the value; ``gate``, when set, makes every call wait for it first. Calls come
    from the fetcher's worker threads; ``hanging`` counts those waiting for ``release`` now.
    """

    def __init__(self, name: str, parts: dict[str, Any], *, remote: bool = True) -> None:
        self.name = name
        self.remote = remote
        self.parts = dict(parts)
        self.behaviour: dict[str, Any] = {}
        self.calls: dict[str, int] = {}
        self.gate: threading.Event | None = None
        self.release = threading.Event()
        self.hanging = 0
        self._lock = threading.Lock()

    def _answer(self, part: str) -> Any:
        with self._lock:
            self.calls[part] = self.calls.get(part, 0) + 1
        if self.gate is not None:
            self.gate.wait(10)  # set by the test; the bound keeps a broken test from hanging
        action = self.behaviour.get(part)
        if isinstance(action, BaseException):
            raise action
        if action == "hang":
            with self._lock:
                self.hanging += 1
            self.release.wait(10)
            with self._lock:
                self.hanging -= 1
        if callable(action):
            return action()
        if part not in self.parts:
            raise PartUnavailable(f"{self.name} has no {part}")
        return self.parts[part]

    def daily_bars(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        return _cut(self._answer("bars"), end)

    def valuation(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        return _cut(self._answer("valuation"), end)

    def fundamentals(self, symbol: str, end: dt.date | None) -> pd.DataFrame:
        return self._answer("fundamentals")

    def index_bars(self, end: dt.date | None) -> pd.DataFrame:
        return _cut(self._answer("index_bars"), end)

    def profile(self, symbol: str, end: dt.date | None) -> Profile:
        return self._answer("profile")

    def peers(self, symbol: str, end: dt.date | None) -> dict[str, pd.Series]:
        return self._answer("peers")

    def universe(self, end: dt.date | None) -> dict[str, pd.Series]:
        return self._answer("universe")

    def macro(self, end: dt.date | None) -> pd.DataFrame:
        return self._answer("macro")


def _cut(frame: Any, end: dt.date | None) -> Any:
    if end is None or not isinstance(frame, pd.DataFrame):
        return frame
    return frame.loc[: pd.Timestamp(end)]


def bars_frame(days: list[str], closes: list[float]) -> pd.DataFrame:
    """A small frame of daily bars (``BAR_COLUMNS``) on ``days`` with the given closes."""
    index = pd.DatetimeIndex(pd.to_datetime(days), name="date")
    return pd.DataFrame(
        {
            "open": closes,
            "high": closes,
            "low": closes,
            "close": closes,
            "volume": 1e6,
            "amount": [c * 1e6 for c in closes],
            "preclose": float("nan"),
            "turn": 1.0,
            "pct_chg": float("nan"),
        },
        index=index,
    )
