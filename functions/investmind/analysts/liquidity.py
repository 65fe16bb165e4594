"""The macro series read for the macro analyst: money, credit, rates, activity and prices, and their labels.

The thresholds are round numbers set before looking at any outcome (none was fitted):
- money loosens when M2 growth is 0.5 point higher than six months before (tightens when lower);
- credit loosens when the 12-month flow of total social financing (new loans before 2017) grows 1
  point faster than six months before;
- rates loosen when 3-month Shibor is 25 bp lower than about six months before (where Shibor exists);
- PMI above 50.5 (3-month mean) is expansion, below 49.5 contraction;
- PPI below 0 with CPI below 1% is deflationary, CPI above 3% inflationary.
"""

from __future__ import annotations

import pandas as pd

SHIFT_MONTHS = 6
MONEY_STEP = 0.5
CREDIT_STEP = 1.0
RATE_STEP = 0.25
RATE_LAG_DAYS = 126
"""About six months of fixings."""
RATE_FRESH_DAYS = 10
"""Shibor older than this at the analysis date is not read (the bundled series ends 2018-07-13)."""
PMI_BAND = 0.5


def _series(macro: pd.DataFrame | None, column: str) -> pd.Series:
    if macro is None or column not in macro:
        return pd.Series(dtype="float64")
    return macro[column].dropna()


def _change(series: pd.Series, lag: int) -> float | None:
    return float(series.iloc[-1] - series.iloc[-1 - lag]) if len(series) > lag else None


def _credit_growth(flow: pd.Series) -> pd.Series:
    """Year-on-year growth (%) of the 12-month sum of a monthly flow."""
    total = flow.rolling(12).sum()
    return (total / total.shift(12) - 1.0).dropna() * 100.0


def measures(macro: pd.DataFrame | None, as_of: pd.Timestamp) -> dict[str, float | None]:
    """The latest known values and their six-month changes (None where a series is absent or too short)."""
    m2, m1 = _series(macro, "m2_yoy"), _series(macro, "m1_yoy")
    tsf = _series(macro, "tsf")
    from_tsf = len(tsf) >= 24 + SHIFT_MONTHS + 1  # TSF starts in 2015: new loans stand in before mid-2017
    credit = _credit_growth(tsf if from_tsf else _series(macro, "new_loans"))
    shibor = _series(macro, "shibor_3m")
    fresh = len(shibor) and (as_of - shibor.index[-1]).days <= RATE_FRESH_DAYS
    pmi = _series(macro, "pmi_mfg")
    out: dict[str, float | None] = {
        "m2_yoy": _last(m2),
        "m2_change_6m": _change(m2, SHIFT_MONTHS),
        "m1_yoy": _last(m1),
        "m1_m2_gap": _last(m1) - _last(m2) if len(m1) and len(m2) else None,
        "credit_growth": _last(credit),
        "credit_change_6m": _change(credit, SHIFT_MONTHS),
        "credit_from_tsf": 1.0 if from_tsf else 0.0,
        "shibor_3m": _last(shibor) if fresh else None,
        "shibor_3m_change_6m": _change(shibor, RATE_LAG_DAYS) if fresh else None,
        "pmi_mfg": _last(pmi),
        "pmi_mfg_3m": float(pmi.iloc[-3:].mean()) if len(pmi) >= 3 else None,
        "pmi_nonmfg": _last(_series(macro, "pmi_nonmfg")),
        "cpi_yoy": _last(_series(macro, "cpi_yoy")),
        "ppi_yoy": _last(_series(macro, "ppi_yoy")),
    }
    return out


def _last(series: pd.Series) -> float | None:
    return float(series.iloc[-1]) if len(series) else None


def _vote(change: float | None, step: float) -> int | None:
    if change is None:
        return None
    return 1 if change > step else -1 if change < -step else 0


def votes(m: dict[str, float | None]) -> dict[str, int]:
    """+1 loosening, -1 tightening, 0 unchanged, per channel with data."""
    out = {
        "money": _vote(m["m2_change_6m"], MONEY_STEP),
        "credit": _vote(m["credit_change_6m"], CREDIT_STEP),
        # Falling rates are loosening: the sign turns.
        "rates": _vote(-m["shibor_3m_change_6m"] if m["shibor_3m_change_6m"] is not None else None, RATE_STEP),
    }
    return {k: v for k, v in out.items() if v is not None}


def liquidity(channel_votes: dict[str, int]) -> str:
    if not channel_votes:
        return "n/a"
    total = sum(channel_votes.values())
    return "loose" if total >= 1 else "tight" if total <= -1 else "neutral"


def growth(m: dict[str, float | None]) -> str:
    pmi = m["pmi_mfg_3m"]
    if pmi is None:
        return "n/a"
    return "expanding" if pmi > 50 + PMI_BAND else "contracting" if pmi < 50 - PMI_BAND else "stable"


def inflation(m: dict[str, float | None]) -> str:
    cpi, ppi = m["cpi_yoy"], m["ppi_yoy"]
    if cpi is None:
        return "n/a"
    if cpi > 3.0:
        return "inflationary"
    if ppi is not None and ppi < 0 and cpi < 1.0:
        return "deflationary"
    return "moderate"
