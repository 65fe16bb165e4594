"""Returns and back-adjusted prices that see through splits and dividends in unadjusted bars."""

from __future__ import annotations

import pandas as pd


def daily_returns(bars: pd.DataFrame) -> pd.Series:
    """Daily close-to-close returns, NaN where unknown (the first bar without a ``preclose``).

    ``preclose`` is the exchange's reference price, already corrected for an ex-date, so
    ``close / preclose`` is the true return even on the day a dividend or bonus issue lands; rows
    without it (already-adjusted sources) fall back to consecutive closes.
    """
    close = bars["close"]
    previous = close.shift()
    if "preclose" in bars:
        previous = bars["preclose"].where(bars["preclose"].notna(), previous)
    return (close / previous - 1.0).rename("ret")


def adjusted_close(bars: pd.DataFrame) -> pd.Series:
    """Closes back-adjusted so that the last one is the real last close and every return is true."""
    growth = (1.0 + daily_returns(bars).fillna(0.0)).cumprod()
    close = bars["close"]
    return (growth * (float(close.iloc[-1]) / float(growth.iloc[-1]))).rename("close")


def adjusted_bars(bars: pd.DataFrame) -> pd.DataFrame:
    """OHLC scaled like ``adjusted_close`` and volume scaled inversely (amounts need no change)."""
    adj_close = adjusted_close(bars)
    factor = adj_close / bars["close"]
    return pd.DataFrame(
        {
            "open": bars["open"] * factor,
            "high": bars["high"] * factor,
            "low": bars["low"] * factor,
            "close": adj_close,
            "volume": bars["volume"] / factor,
            "amount": bars["amount"],
        },
        index=bars.index,
    )
