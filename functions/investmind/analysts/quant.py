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
SWING_SPAN = 11
"""A swing high (low) is the highest high (lowest low) of the 11 bars centred on it: 5 either side."""
SWING_LOOKBACK = 120
"""Swings older than about six months no longer mark the levels traders watch."""
PRICE_RTOL = 1e-9
"""Relative tolerance for comparing adjusted prices: adjustment leaves float noise (4.6400000000000015
against 4.640000000000001) that must not decide whether a bar is a swing, or a close unchanged."""
BUY_DEPTH_ATR = 2.0
TARGET_ATR = 3.0
STOP_UNDER_BUY_ATR = 0.5

__all__ = [
    "adjusted_bars",
    "ann_vol",
    "daily_returns",
    "last",
    "max_drawdown",
    "on_balance_volume",
    "percentile_rank",
    "period_return",
    "price_levels",
    "relative",
    "returns",
    "slope",
    "trade_levels",
    "traded_prices",
    "vol_regime",
]


def traded_prices(bars: pd.DataFrame) -> bool:
    """True when the last bar's prices are as traded; False when the source had adjusted them (Qbot, zvt).

    Levels computed on bars back-adjusted to a traded last close are in that day's traded prices; on
    source-adjusted bars they were never traded and are quoted relative to the close instead.
    """
    flag = bars["source_adjusted"].iloc[-1] if "source_adjusted" in bars else None
    return not (flag is not None and flag == 1)


def relative(level: float | None, close: float) -> float | None:
    """``level`` as a fraction away from ``close`` (-0.05: 5% below)."""
    return None if level is None else level / close - 1.0


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


def vol_regime(percentile: float | None) -> str:
    """A realised-volatility percentile as a regime: the top third of its history is high, the bottom third low."""
    if percentile is None:
        return "n/a"
    return "high" if percentile >= 67 else "low" if percentile <= 33 else "normal"


def on_balance_volume(close: pd.Series, volume: pd.Series) -> pd.Series:
    """Granville's OBV: + the day's volume on an up close, - on a down close, nothing on an unchanged one.

    Starts at 0 on the first bar. (The ``ta`` library counts an unchanged close as an up day.) A close
    within ``PRICE_RTOL`` of the previous one is unchanged: adjusted closes carry float noise.
    """
    change = close.pct_change()
    direction = np.where(change > PRICE_RTOL, 1.0, np.where(change < -PRICE_RTOL, -1.0, 0.0))
    return pd.Series(direction * volume.to_numpy(dtype=float), index=close.index).cumsum().rename("obv")


def slope(series: pd.Series, window: int) -> float | None:
    """Least-squares slope per bar over the last ``window`` values."""
    values = series.to_numpy(dtype=float, na_value=np.nan)[-window:]
    if values.size < window or not np.isfinite(values).all():
        return None
    x = np.arange(window, dtype=float) - (window - 1) / 2.0
    return float((x * (values - values.mean())).sum() / (x * x).sum())


def _nearest_swings(tail: pd.DataFrame, close: float) -> tuple[float | None, float | None]:
    """The closest confirmed swing low below ``close`` and swing high above it.

    A swing low is a bar whose low is the lowest of the ``SWING_SPAN`` bars centred on it, so the
    last ``SWING_SPAN // 2`` bars cannot be one yet: a pivot is only known once price has left it.
    """
    recent = tail.iloc[-SWING_LOOKBACK:]
    lows, highs = recent["low"], recent["high"]
    low_of_span, high_of_span = (
        lows.rolling(SWING_SPAN, center=True).min(),
        highs.rolling(SWING_SPAN, center=True).max(),
    )
    is_low = np.isclose(lows, low_of_span, rtol=PRICE_RTOL, atol=0.0)
    is_high = np.isclose(highs, high_of_span, rtol=PRICE_RTOL, atol=0.0)
    below = lows[is_low & (lows < close * (1 - PRICE_RTOL))]
    above = highs[is_high & (highs > close * (1 + PRICE_RTOL))]
    return (float(below.max()) if len(below) else None), (float(above.min()) if len(above) else None)


def price_levels(adjusted: pd.DataFrame) -> dict[str, float | None]:
    """Close, ATR(14), the 20-day range, and support/resistance in today's price terms.

    Support is the nearest swing low under the close (the 20-day low when there is none), resistance
    the nearest swing high over it (the 20-day high at a new high, when nothing overhead is known).
    ``adjusted`` must be back-adjusted bars (``market.adjust.adjusted_bars``) so that levels set
    before an ex-date are comparable with today's close.
    """
    tail = adjusted.iloc[-INDICATOR_TAIL:]
    close = float(tail["close"].iloc[-1])
    atr = None
    if len(tail) > ATR_WINDOW:
        atr = last(AverageTrueRange(tail["high"], tail["low"], tail["close"], window=ATR_WINDOW).average_true_range())
    recent = tail.iloc[-LEVEL_WINDOW:]
    range_low, range_high = float(recent["low"].min()), float(recent["high"].max())
    swing_low, swing_high = _nearest_swings(tail, close)
    return {
        "close": close,
        "atr": atr,
        "range_low_20": range_low,
        "range_high_20": range_high,
        "support": swing_low if swing_low is not None else range_low,
        "resistance": swing_high if swing_high is not None else range_high,
        "swing_low": swing_low,
        "swing_high": swing_high,
    }


def trade_levels(
    close: float, atr: float | None, support: float | None, resistance: float | None
) -> dict[str, float | None]:
    """Buy range, sell range and stop from the close, ATR and the swing levels (None without an ATR).

    Buy on a pullback towards support, but never more than ``BUY_DEPTH_ATR`` ATRs under the close (a
    distant support is not a plan); sell into resistance when it is at least one ATR away, else at
    a ``TARGET_ATR`` projection; the stop sits ``STOP_UNDER_BUY_ATR`` ATR under the buy range, so
    ordinary noise at support does not trigger it.
    """
    if not atr:
        return dict.fromkeys(("buy_low", "buy_high", "sell_low", "sell_high", "stop_loss"))
    if support is not None and support < close:
        buy_low = max(support, close - BUY_DEPTH_ATR * atr)
    else:
        buy_low = close - atr
    projected = resistance is None or resistance < close + atr
    sell_high = close + TARGET_ATR * atr if projected else resistance
    return {
        "buy_low": buy_low,
        "buy_high": min(close, buy_low + atr),
        "sell_low": sell_high - atr,
        "sell_high": sell_high,
        "stop_loss": buy_low - STOP_UNDER_BUY_ATR * atr,
    }
