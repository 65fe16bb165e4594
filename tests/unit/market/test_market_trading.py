"""Resolving an as_of against trading days: the last trading day on or before it, or a clear error."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from investmind.errors import DataUnavailable
from investmind.market.trading import MAX_GAP_DAYS, market_day, resolve_trading_day

D = dt.date
LABEL = "test data for 600519.SH"

trading_days = st.lists(
    st.dates(min_value=D(2005, 1, 1), max_value=D(2030, 12, 31)), min_size=1, max_size=60, unique=True
).map(sorted)


@given(trading_days, st.data())
def test_resolve_in_range_gives_the_last_trading_day_on_or_before(days: list[dt.date], data: st.DataObject) -> None:
    as_of = data.draw(st.dates(min_value=days[0], max_value=days[-1] + dt.timedelta(days=MAX_GAP_DAYS)))

    resolved = resolve_trading_day(days, as_of, label=LABEL)

    assert resolved in days and resolved <= as_of
    assert not [d for d in days if resolved < d <= as_of]  # nothing traded between it and as_of


@given(trading_days)
def test_resolve_a_trading_day_is_itself(days: list[dt.date]) -> None:
    for day in days:
        assert resolve_trading_day(days, day, label=LABEL) == day


@given(trading_days, st.integers(min_value=1, max_value=4000))
def test_resolve_before_the_first_day_is_an_error(days: list[dt.date], back: int) -> None:
    assume(days[0] - dt.timedelta(days=back) >= D(1990, 1, 1))

    with pytest.raises(DataUnavailable, match=f"no {LABEL} before {days[0].isoformat()}"):
        resolve_trading_day(days, days[0] - dt.timedelta(days=back), label=LABEL)


@given(trading_days, st.integers(min_value=MAX_GAP_DAYS + 1, max_value=4000))
def test_resolve_well_after_the_last_day_is_an_error(days: list[dt.date], after: int) -> None:
    with pytest.raises(DataUnavailable, match=f"no {LABEL} after {days[-1].isoformat()}"):
        resolve_trading_day(days, days[-1] + dt.timedelta(days=after), label=LABEL)


@given(trading_days)
def test_resolve_none_is_the_last_day(days: list[dt.date]) -> None:
    assert resolve_trading_day(days, None, label=LABEL) == days[-1]


@given(trading_days, st.dates(min_value=D(2000, 1, 1), max_value=D(2035, 1, 1)))
def test_market_day_is_the_last_session_on_or_before(days: list[dt.date], day: dt.date) -> None:
    session = market_day(days, day)

    before = [d for d in days if d <= day]
    assert session == (before[-1] if before else None)


def test_resolve_empty_is_an_error() -> None:
    with pytest.raises(DataUnavailable, match=f"no {LABEL}"):
        resolve_trading_day([], D(2021, 3, 1), label=LABEL)


def test_resolve_spring_festival_holiday_to_the_session_before() -> None:
    days = [D(2024, 2, 7), D(2024, 2, 8), D(2024, 2, 19)]  # closed 2024-02-09 .. 2024-02-18

    assert resolve_trading_day(days, D(2024, 2, 17), label=LABEL) == D(2024, 2, 8)
