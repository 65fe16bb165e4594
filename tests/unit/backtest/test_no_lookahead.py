"""No look-ahead: an analysis at ``as_of`` is the same in a world whose data ends at ``as_of``.

The truncated world is the real bundled provider asked for *everything* it has (no cut-off), with
every row dated after ``as_of`` then dropped, and the snapshot rebuilt from that through the real
market layer. If any agent (or the market layer) read a bar, a report or a peer's close dated after
``as_of``, some field of some result would change.
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from investmind.market import factory, load_snapshot
from investmind_cli.backtest.pipeline import Analysis, analyse


class WorldEndsAt:
    """A provider whose data stops at ``cutoff``: ``inner``'s whole history with every later row dropped.

    Works whether the provider's methods are coroutines or plain calls (the market layer is moving
    from one to the other): the cut applies to the value once it is there.
    """

    def __init__(self, inner: Any, cutoff: dt.date) -> None:
        self.inner, self.name, self.remote = inner, inner.name, inner.remote
        self.cut = pd.Timestamp(cutoff)

    @staticmethod
    def _then(value: Any, cut: Callable[[Any], Any]) -> Any:
        if inspect.isawaitable(value):

            async def later() -> Any:
                return cut(await value)

            return later()
        return cut(value)

    def _frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame.index <= self.cut]

    def _reports(self, reports: pd.DataFrame) -> pd.DataFrame:
        reports = self._frame(reports)
        return reports[reports["published_by"] <= self.cut]  # a report not yet public does not exist

    def _series(self, closes: dict[str, pd.Series]) -> dict[str, pd.Series]:
        kept = {s: c[c.index <= self.cut] for s, c in closes.items()}
        return {s: c for s, c in kept.items() if len(c)}

    def daily_bars(self, symbol, end):
        return self._then(self.inner.daily_bars(symbol, None), self._frame)

    def valuation(self, symbol, end):
        return self._then(self.inner.valuation(symbol, None), self._frame)

    def fundamentals(self, symbol, end):
        return self._then(self.inner.fundamentals(symbol, None), self._reports)

    def index_bars(self, end):
        return self._then(self.inner.index_bars(None), self._frame)

    def macro(self, end):
        return self._then(self.inner.macro(None), self._frame)

    def profile(self, symbol, end):
        return self.inner.profile(symbol, self.cut.date())  # a name, not a series: as it was then

    def peers(self, symbol, end):
        return self._then(self.inner.peers(symbol, None), self._series)

    def universe(self, end):
        return self._then(self.inner.universe(None), self._series)


@pytest.fixture
def truncated_loader(monkeypatch: pytest.MonkeyPatch):
    """``cutoff -> loader``: the market the factory builds from the bundled provider, seen through ``WorldEndsAt``."""
    real = factory._provider

    def loader(cutoff: dt.date):
        monkeypatch.setattr(factory, "_provider", lambda *args: WorldEndsAt(real(*args), cutoff))
        return factory.build_market(factory.MarketConfig(providers=("bundled",))).load_snapshot

    return loader


def fields(analysis: Analysis) -> dict[str, Any]:
    """Every field of every agent result and of the decision, as the event log would carry them."""
    return {
        "results": {agent: r.model_dump(mode="json") for agent, r in analysis.results.items()},
        "decision": analysis.decision.model_dump(mode="json") if analysis.decision else None,
        "as_of": analysis.as_of.isoformat(),
    }


# Stocks and dates across the bundled data: both sources, a bank, one with quarterly reports, a
# stock whose data stops in 2020, an ex-dividend season, a date just after the CSI 300 data begins.
CASES = [
    ("600519.SH", dt.date(2021, 6, 30)),
    ("300750.SZ", dt.date(2024, 9, 30)),
    ("000001.SZ", dt.date(2018, 3, 30)),
    ("000338.SZ", dt.date(2019, 11, 29)),
    ("601318.SH", dt.date(2020, 3, 31)),
]


@pytest.mark.parametrize(("symbol", "as_of"), CASES)
def test_cutting_the_data_at_as_of_changes_nothing(symbol: str, as_of: dt.date, truncated_loader) -> None:
    full = load_snapshot(symbol)
    assert full.bars.index[-1] > pd.Timestamp(as_of), "the untruncated data must reach past as_of"
    everything = analyse(symbol, as_of, load_snapshot)
    assert everything.as_of == as_of
    assert everything.decision is not None
    cut = analyse(symbol, as_of, truncated_loader(as_of))
    assert cut.snapshot.bars.index[-1] == pd.Timestamp(as_of)
    assert fields(cut) == fields(everything)


def test_the_comparison_sees_one_session_less(truncated_loader) -> None:
    """Control: the same comparison tells a world one session shorter apart, so equality above means something."""
    symbol, as_of = CASES[0]
    bars = load_snapshot(symbol, as_of).bars
    previous = bars.index[-2].date()
    everything = analyse(symbol, as_of, load_snapshot)
    shorter = analyse(symbol, as_of, truncated_loader(previous))
    assert shorter.as_of == previous
    assert fields(shorter)["results"] != fields(everything)["results"]
