"""Statistics of a backtest: rank correlation, excess returns by action, and block-bootstrap intervals.

Observations on one rebalance date share the market's move, and forward windows longer than the
rebalance step overlap the next dates' windows, so rows are not independent. The bootstrap
therefore resamples whole rebalance dates, in circular blocks of consecutive dates at least as long
as the forward window (Politis & Romano's circular block bootstrap), and percentile intervals are
read off the resampled statistic. numpy has no block bootstrap and the libraries that do (arch)
resample rows, not groups of rows, so the index drawing is written here, in a few lines.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_BLOCKS = 4
Statistic = Callable[[np.ndarray], float]
"""A statistic of the rows at the given positions (repeats allowed)."""


def spearman(x: np.ndarray | pd.Series, y: np.ndarray | pd.Series) -> float:
    """Spearman's rank correlation over the pairs where both are known (ties get their average rank).

    NaN with fewer than three pairs or when either side is constant.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    known = ~(np.isnan(x) | np.isnan(y))
    if known.sum() < 3:
        return math.nan
    ranks_x = pd.Series(x[known]).rank(method="average").to_numpy()
    ranks_y = pd.Series(y[known]).rank(method="average").to_numpy()
    return pearson(ranks_x, ranks_y)


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    known = ~(np.isnan(x) | np.isnan(y))
    x, y = x[known], y[known]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    dx, dy = x - x.mean(), y - y.mean()
    return float((dx * dy).sum() / math.sqrt((dx * dx).sum() * (dy * dy).sum()))


def excess_return(stock_start: float, stock_end: float, index_start: float, index_end: float) -> float:
    """The stock's simple return minus the index's over the same window."""
    return (stock_end / stock_start - 1.0) - (index_end / index_start - 1.0)


def block_length(horizon_sessions: int, step_sessions: float) -> int:
    """Rebalance steps a forward window spans (rounded up), and at least 2: the dates it links."""
    if step_sessions <= 0:
        return 2
    return max(2, math.ceil(horizon_sessions / step_sessions))


class DateBlockBootstrap:
    """Circular block bootstrap over the rebalance dates of a set of rows.

    Parameters
    ----------
    dates
        Each row's rebalance date (any sortable values).
    block
        Consecutive dates per block.
    reps
        Resamples; each draws ``ceil(n_dates / block)`` block starts, wraps around the end, and keeps
        the first ``n_dates`` dates, with every row of each drawn date.
    seed
        The same seed draws the same resamples, so every statistic of a report sees the same ones.
    """

    def __init__(self, dates: np.ndarray | pd.Series, block: int, reps: int = 1000, seed: int = 20230401) -> None:
        codes, uniques = pd.factorize(pd.Series(dates), sort=True)
        self.n_dates = len(uniques)
        order = np.argsort(codes, kind="stable")
        counts = np.bincount(codes, minlength=self.n_dates)
        self._rows = np.split(order, np.cumsum(counts)[:-1]) if self.n_dates else []
        self.block = max(1, min(block, self.n_dates or 1))
        self.reps = reps
        self.seed = seed
        self._samples: list[np.ndarray] | None = None

    def samples(self) -> list[np.ndarray]:
        """Row positions of each resample (drawn once, then shared by every statistic)."""
        if self._samples is None:
            rng = np.random.default_rng(self.seed)
            n, block = self.n_dates, self.block
            blocks = math.ceil(n / block) if n else 0
            self._samples = []
            for _ in range(self.reps if n else 0):
                starts = rng.integers(0, n, size=blocks)
                picked = ((starts[:, None] + np.arange(block)[None, :]) % n).ravel()[:n]
                self._samples.append(np.concatenate([self._rows[d] for d in picked]).astype(np.int32))
        return self._samples

    def interval(self, statistic: Statistic, level: float = 0.95) -> tuple[float, float]:
        """Percentile interval of ``statistic`` over the resamples.

        NaN when the statistic is undefined in most resamples, or with fewer than ``MIN_BLOCKS``
        blocks' worth of dates: a handful of dates resampled gives an interval that means nothing.
        """
        if self.n_dates < MIN_BLOCKS * self.block:
            return math.nan, math.nan
        values = np.array([statistic(rows) for rows in self.samples()], dtype=float)
        values = values[~np.isnan(values)]
        if len(values) < self.reps / 2:
            return math.nan, math.nan
        tail = (1.0 - level) / 2 * 100
        low, high = np.percentile(values, [tail, 100 - tail])
        return float(low), float(high)


@dataclass(frozen=True, slots=True)
class Estimate:
    """A statistic on the observed rows, its interval, and how many rows and dates it rests on."""

    value: float
    low: float
    high: float
    n: int
    dates: int


def mean_of(values: np.ndarray, mask: np.ndarray) -> Statistic:
    def statistic(rows: np.ndarray) -> float:
        chosen = values[rows][mask[rows]]
        chosen = chosen[~np.isnan(chosen)]
        return float(chosen.mean()) if len(chosen) else math.nan

    return statistic


def share_of(values: np.ndarray, mask: np.ndarray, sign: int) -> Statistic:
    """The share of known values on the side ``sign`` of zero (+1: above, -1: below)."""

    def statistic(rows: np.ndarray) -> float:
        chosen = values[rows][mask[rows]]
        chosen = chosen[~np.isnan(chosen)]
        return float((np.sign(chosen) == sign).mean()) if len(chosen) else math.nan

    return statistic


def spearman_of(x: np.ndarray, y: np.ndarray, mask: np.ndarray) -> Statistic:
    def statistic(rows: np.ndarray) -> float:
        keep = rows[mask[rows]]
        return spearman(x[keep], y[keep])

    return statistic


def estimate(boot: DateBlockBootstrap, statistic: Statistic, counted: np.ndarray, dates: np.ndarray) -> Estimate:
    """``statistic`` on all rows, with its interval; ``counted`` marks the rows it rests on (for n and dates)."""
    low, high = boot.interval(statistic)
    value = statistic(np.arange(len(counted)))
    return Estimate(value, low, high, int(counted.sum()), int(pd.Series(dates[counted]).nunique()))
