"""Vectorised measures the analysts share: returns, volatility, drawdown, ranks, slopes, price levels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from ta.volatility import AverageTrueRange

from ..market.adjust import adjusted_bars, daily_returns

TRADING_DAYS = 252
LEVEL_WINDOW = 20
"""Trading days over which the recent swing low and high (support and resistance) are taken."""
ATR_WINDOW = 14
INDICATOR_TAIL = 400
"""Bars handed to the indicators: enough to warm up SMA120 and MACD, few enough to stay fast."""

__all__ = [
    "adjusted_bars",
    "ann_vol",
    "daily_returns",
    "last",
    "max_drawdown",
    "percentile_rank",
    "period_return",
    "price_levels",
    "returns",
    "slope",
]


def returns(bars: pd.DataFrame) -> pd.Series:
    """True daily returns (see ``market.adjust``), unknown ones dropped."""
    return daily_returns(bars).dropna()


def last(series: pd.Series) -> float | None:
    """The last finite value, or None."""
    values = series.to_numpy(dtype=float, na_value=np.nan)
    finite = values[np.isfinite(values)]
    return float(finite[-1]) if finite.size else None


def period_return(close: pd.Series, days: int) -> float | None:
    """Return over the last ``days`` bars, or None when the series is too short."""
    if len(close) <= days:
        return None
    return float(close.iloc[-1] / close.iloc[-1 - days] - 1.0)


def ann_vol(rets: pd.Series, min_obs: int = 20) -> float | None:
    if len(rets) < min_obs:
        return None
    return float(rets.std(ddof=1) * math.sqrt(TRADING_DAYS))


def max_drawdown(close: pd.Series) -> float | None:
    """The deepest fall from a running peak, as a negative fraction (0 when never below a peak)."""
    if len(close) < 2:
        return None
    return float((close / close.cummax() - 1.0).min())


def percentile_rank(history: pd.Series, value: float) -> float | None:
    """Share (0-100) of ``history`` at or below ``value``; None for an empty history."""
    values = history.to_numpy(dtype=float, na_value=np.nan)
    values = values[np.isfinite(values)]
    if not values.size:
        return None
    return float((values <= value).mean() * 100.0)


def slope(series: pd.Series, window: int) -> float | None:
    """Least-squares slope per bar over the last ``window`` values."""
    values = series.to_numpy(dtype=float, na_value=np.nan)[-window:]
    if values.size < window or not np.isfinite(values).all():
        return None
    x = np.arange(window, dtype=float) - (window - 1) / 2.0
    return float((x * (values - values.mean())).sum() / (x * x).sum())


def price_levels(adjusted: pd.DataFrame) -> dict[str, float | None]:
    """Close, ATR(14), and the recent swing low/high as support/resistance, in today's price terms.

    ``adjusted`` must be back-adjusted bars (``market.adjust.adjusted_bars``) so that levels set
    before an ex-date are comparable with today's close.
    """
    tail = adjusted.iloc[-INDICATOR_TAIL:]
    atr = None
    if len(tail) > ATR_WINDOW:
        atr = last(AverageTrueRange(tail["high"], tail["low"], tail["close"], window=ATR_WINDOW).average_true_range())
    recent = tail.iloc[-LEVEL_WINDOW:]
    return {
        "close": float(tail["close"].iloc[-1]),
        "atr": atr,
        "support": float(recent["low"].min()),
        "resistance": float(recent["high"].max()),
    }
