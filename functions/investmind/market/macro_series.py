"""The bundled macro series: monthly official statistics and daily Shibor, dated when they were public.

A monthly figure is filed under the day it is taken as known, never under its reference month, so
that cutting the frame at an analysis date shows only what had been published by then. The NBS and
the PBoC publish on varying days; the lags below are conservative (on or after the usual release):

- PMI (manufacturing, non-manufacturing): released on the last day of the month → the 1st of the next;
- CPI, PPI: released around the 9th-12th of the next month → its 15th;
- M1, M2, new loans, total social financing (PBoC): released around the 10th-15th → the 20th.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .base import MACRO_PART_COLUMNS
from .universe import DATA_DIR

MACRO_DIR = DATA_DIR / "macro"
SHIBOR = {"ON": "shibor_on", "1W": "shibor_1w", "1M": "shibor_1m", "3M": "shibor_3m", "1Y": "shibor_1y"}
MONTHLY: dict[str, tuple[str, str, int]] = {
    # column: (file, its column, day of the following month from which it is known)
    "pmi_mfg": ("manufacturing_pmi", "value", 1),
    "pmi_nonmfg": ("manufacturing_pmi", "nonmfg", 1),
    "cpi_yoy": ("cpi", "yoy", 15),
    "ppi_yoy": ("ppi", "yoy", 15),
    "m1_yoy": ("money_supply", "m1_yoy", 20),
    "m2_yoy": ("money_supply", "m2_yoy", 20),
    "new_loans": ("new_loans", "value", 20),
    "tsf": ("social_financing", "value", 20),
}
"""Units: PMI a diffusion index (50 = no change); ``*_yoy`` percent; loans and TSF monthly flows in
RMB 100 million."""


def known_from(month: pd.DatetimeIndex | pd.Timestamp, column: str) -> pd.DatetimeIndex | pd.Timestamp:
    """The day a figure for reference ``month`` (its first day) is taken as public."""
    day = MONTHLY[column][2]
    return month + pd.offsets.MonthBegin(1) + pd.Timedelta(days=day - 1)


def reference_month(known: dt.date, column: str) -> dt.date:
    """The reference month (its first day) of the figure of ``column`` known on ``known``."""
    day = MONTHLY[column][2]
    first = pd.Timestamp(known) - pd.Timedelta(days=day - 1)
    return (first.to_period("M") - 1).to_timestamp().date()


def _monthly(column: str) -> pd.Series:
    file, source, _ = MONTHLY[column]
    frame = pd.read_csv(MACRO_DIR / f"{file}.csv.gz", parse_dates=["date"], date_format="%Y-%m-%d")
    series = frame.set_index("date")[source].astype("float64").dropna()
    return series.set_axis(known_from(pd.DatetimeIndex(series.index), column)).rename(column)


def _shibor() -> pd.DataFrame:
    frame = pd.read_csv(DATA_DIR / "shibor_daily_2006_2018.csv.gz", parse_dates=["date"], date_format="%Y-%m-%d")
    return frame.set_index("date")[list(SHIBOR)].rename(columns=SHIBOR).astype("float64")


def load_macro() -> pd.DataFrame:
    """Every series in one frame of ``MACRO_PART_COLUMNS``, indexed by the day each value was known.

    A row holds only the values that became known that day (NaN elsewhere): read a column with
    ``dropna()``.
    """
    parts = [_shibor(), *(_monthly(column).to_frame() for column in MONTHLY)]
    frame = pd.concat(parts, axis=1, sort=True)
    frame.index.name = "date"
    return frame.reindex(columns=MACRO_PART_COLUMNS)
