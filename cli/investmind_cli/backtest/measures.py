"""The figures of a backtest run, for the pipeline and its two baselines, per period and horizon."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .engine import HELD_OUT, HORIZONS, Run
from .stats import (
    DateBlockBootstrap,
    Estimate,
    block_length,
    estimate,
    mean_of,
    pearson,
    share_of,
    spearman,
    spearman_of,
)

STRATEGIES = ("pipeline", "momentum", "hold")
STRATEGY_TITLES = {
    "pipeline": "pipeline",
    "momentum": "120-day momentum sign",
    "hold": "always HOLD",
}
ACTIONS = ("BUY", "HOLD", "SELL")
PERIODS = ("all", "in-sample", "held-out")
HIT_SIGN = {"BUY": 1, "SELL": -1}
"""A BUY is right when the stock then beats the index, a SELL when it lags; a HOLD makes no such call."""


def decided(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with a decision, i.e. the analyses that would have ended ``task_completed``."""
    return rows[rows["action"].notna()].reset_index(drop=True) if len(rows) else rows


def actions(rows: pd.DataFrame, strategy: str) -> tuple[np.ndarray, np.ndarray]:
    """(action, score) per row for ``strategy``: the pipeline's own, momentum's sign, or HOLD throughout."""
    if strategy == "pipeline":
        return rows["action"].to_numpy(dtype=object), rows["score"].to_numpy(dtype=float)
    if strategy == "momentum":
        mom = rows["momentum"].to_numpy(dtype=float)
        side = np.where(mom > 0, "BUY", np.where(mom < 0, "SELL", None))
        return np.where(np.isnan(mom), None, side).astype(object), mom
    if strategy == "hold":
        return np.full(len(rows), "HOLD", dtype=object), np.zeros(len(rows))
    raise ValueError(f"unknown strategy {strategy!r}")


def in_period(rows: pd.DataFrame, period: str, window_end: str | None = None) -> pd.DataFrame:
    """The rows of ``period``; in-sample ones whose forward window (column ``window_end``) reaches into the
    held-out period are left out (purged), so choosing on in-sample figures sees no held-out return."""
    if period == "all":
        return rows
    chosen = rows["period"] == period
    if period == "in-sample" and window_end is not None:
        chosen &= ~(rows[window_end] >= pd.Timestamp(HELD_OUT[0]))
    return rows[chosen].reset_index(drop=True)


@dataclass(frozen=True, slots=True)
class ActionFigures:
    strategy: str
    action: str
    period: str
    horizon: int
    mean: Estimate
    hit: Estimate | None


@dataclass(frozen=True, slots=True)
class Correlation:
    strategy: str
    period: str
    horizon: int
    rho: Estimate


class Measures:
    """Every figure of ``run``; intervals from ``reps`` date-block resamples (see ``stats``)."""

    def __init__(self, run: Run, reps: int = 1000, seed: int = 20230401) -> None:
        self.run = run
        self.rows = decided(run.rows)
        self.reps, self.seed = reps, seed
        self._boots: dict[tuple[str, int], DateBlockBootstrap] = {}

    def _boot(self, period: str, horizon: int, rows: pd.DataFrame) -> DateBlockBootstrap:
        key = (period, horizon)
        if key not in self._boots:
            block = block_length(horizon, self.run.step_sessions)
            self._boots[key] = DateBlockBootstrap(rows["date"].to_numpy(), block, self.reps, self.seed)
        return self._boots[key]

    def by_action(self, horizon: int, against: str = "excess") -> list[ActionFigures]:
        """Mean forward return over the benchmark and hit rate by action; ``against``: ``excess`` (the CSI
        300) or ``rel`` (the run's stocks on average)."""
        out = []
        for period in PERIODS:
            rows = in_period(self.rows, period, f"end_{horizon}")
            if not len(rows):
                continue
            boot, dates = self._boot(period, horizon, rows), rows["date"]
            excess = rows[f"{against}_{horizon}"].to_numpy()
            for strategy in STRATEGIES if against == "excess" else ("pipeline", "momentum"):  # HOLD: 0 by design
                action, _ = actions(rows, strategy)
                for name in ACTIONS:
                    mask = (action == name) & ~np.isnan(excess)
                    if not mask.any():
                        continue
                    mean = estimate(boot, mean_of(excess, mask), mask, dates.to_numpy())
                    hit = None
                    if name in HIT_SIGN:
                        hit = estimate(boot, share_of(excess, mask, HIT_SIGN[name]), mask, dates.to_numpy())
                    out.append(ActionFigures(strategy, name, period, horizon, mean, hit))
        return out

    def correlations(self, against: str = "excess") -> list[Correlation]:
        """Spearman of each strategy's score with the forward return over the benchmark (momentum: its value)."""
        out = []
        for horizon in HORIZONS:
            for period in PERIODS:
                rows = in_period(self.rows, period, f"end_{horizon}")
                if not len(rows):
                    continue
                boot, excess = self._boot(period, horizon, rows), rows[f"{against}_{horizon}"].to_numpy()
                for strategy in ("pipeline", "momentum"):
                    _, score = actions(rows, strategy)
                    mask = ~np.isnan(score) & ~np.isnan(excess)
                    rho = estimate(boot, spearman_of(score, excess, mask), mask, rows["date"].to_numpy())
                    out.append(Correlation(strategy, period, horizon, rho))
        return out

    def by_year(self, against: str = "excess") -> pd.DataFrame:
        """Spearman (score, forward return over the benchmark) per calendar year, with its number of pairs."""
        records = []
        for year, rows in self.rows.groupby(self.rows["date"].dt.year) if len(self.rows) else []:
            record: dict = {"year": int(year)}
            for horizon in HORIZONS:
                excess = rows[f"{against}_{horizon}"]
                for strategy in ("pipeline", "momentum"):
                    score = actions(rows, strategy)[1]
                    record[f"{strategy}_{horizon}"] = spearman(score, excess)
                record[f"n_{horizon}"] = int((excess.notna() & rows["score"].notna()).sum())
            records.append(record)
        return pd.DataFrame(records)

    def score_vs_momentum(self) -> list[tuple[str, float, float, int]]:
        """(period, Spearman, Pearson, pairs) of the pipeline's score with 120-day momentum."""
        out = []
        for period in PERIODS:
            rows = in_period(self.rows, period)
            score, mom = rows["score"].to_numpy(dtype=float), rows["momentum"].to_numpy(dtype=float)
            pairs = int((~np.isnan(score) & ~np.isnan(mom)).sum())
            out.append((period, spearman(score, mom), pearson(score, mom), pairs))
        return out

    def plan_outcomes(self) -> pd.DataFrame:
        """Per period: how the BUY trade plans ended, their mean exit return and sessions held."""
        plans = self.rows[self.rows["plan_outcome"].notna()]
        records = []
        for period in PERIODS:
            rows = in_period(plans.reset_index(drop=True), period, "plan_end")
            record: dict = {"period": period, "plans": len(rows)}
            for outcome in ("target", "stop", "horizon", "open"):
                chosen = rows[rows["plan_outcome"] == outcome]
                record[outcome] = len(chosen)
                record[f"{outcome}_return"] = float(chosen["plan_return"].mean()) if len(chosen) else math.nan
            closed = rows[rows["plan_outcome"] != "open"]
            record["mean_return"] = float(closed["plan_return"].mean()) if len(closed) else math.nan
            record["mean_days"] = float(closed["plan_days"].mean()) if len(closed) else math.nan
            record["same_day"] = int(rows["plan_same_day"].sum())
            records.append(record)
        return pd.DataFrame(records)

    def cumulative(self) -> pd.DataFrame:
        """Per rebalance date, the mean excess return to the next date by strategy and action, summed over time.

        Holding each group from one rebalance date to the next never overlaps, so the running sum
        is what a portfolio of that group, equally weighted and rebalanced on those dates, earned
        over the index (without costs); on a date when the group is empty it holds the index (adds
        0). Dates without a known excess return (no index data) are left out.
        """
        rows = self.rows
        columns = {}
        for strategy in STRATEGIES:
            action, _ = actions(rows, strategy)
            for name in ACTIONS:
                if strategy == "hold" and name != "HOLD":
                    continue
                chosen = rows[action == name]
                if len(chosen):
                    label = f"{STRATEGY_TITLES[strategy]}: {name}" if strategy != "hold" else "always HOLD (all stocks)"
                    columns[label] = chosen.groupby("date")["excess_next"].mean()
        frame = pd.DataFrame(columns).sort_index().dropna(how="all")
        return frame.fillna(0.0).cumsum()
