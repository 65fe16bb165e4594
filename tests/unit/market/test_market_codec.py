"""Parts to bytes and back, exactly: what the shared cache stores is what the provider returned."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from investmind.market import codec
from investmind.market.base import Profile
from investmind.market.bundled import BundledProvider

D = dt.date


def test_codec_round_trips_every_bundled_part_exactly() -> None:
    provider = BundledProvider()
    frames = {
        "bars": provider.daily_bars("000001.SZ", D(2023, 12, 11)),  # NaN turnover before 2020, NaN valuations
        "valuation": provider.valuation("000001.SZ", D(2023, 12, 11)),
        "fundamentals": provider.fundamentals("601318.SH", D(2020, 6, 1)),  # text and date columns
        "index_bars": provider.index_bars(D(2023, 12, 11)),
    }
    for name, frame in frames.items():
        restored = codec.decode(codec.encode(frame))
        pd.testing.assert_frame_equal(restored, frame, check_exact=True, check_freq=False, obj=name)

    universe = provider.universe(D(2020, 6, 1))
    restored = codec.decode(codec.encode(universe))
    assert restored.keys() == universe.keys()
    for symbol, close in universe.items():
        pd.testing.assert_series_equal(restored[symbol], close, check_exact=True, check_freq=False)

    profile = Profile(name="中国平安", industry="非银金融 / 保险")
    assert codec.decode(codec.encode(profile)) == profile


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=50))
def test_codec_round_trips_any_double(values: list[float]) -> None:
    index = pd.DatetimeIndex(pd.date_range("2021-01-04", periods=len(values), freq="D"), name="date")
    frame = pd.DataFrame({"close": values}, index=index)

    restored = codec.decode(codec.encode(frame))["close"].tolist()

    for before, after in zip(values, restored, strict=True):
        assert (math.isnan(before) and math.isnan(after)) or before == after


def test_codec_compresses_a_five_year_series_well_under_the_item_limit() -> None:
    index = pd.DatetimeIndex(pd.bdate_range("2020-01-01", "2025-01-01"), name="date")
    frame = pd.DataFrame({c: [1000.0 + i / 7 for i in range(len(index))] for c in "ohlcvab"}, index=index)

    assert len(codec.encode(frame)) < 100_000


def test_codec_refuses_what_it_cannot_encode() -> None:
    with pytest.raises(TypeError, match="cannot encode"):
        codec.encode(object())
