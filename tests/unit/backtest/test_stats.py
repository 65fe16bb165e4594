"""The backtest's statistics against small cases worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from investmind_cli.backtest.engine import market_calendar, period_of, rebalance_dates
from investmind_cli.backtest.forward import History, forward_excess, momentum, session_after, trade_outcome
from investmind_cli.backtest.measures import in_period
from investmind_cli.backtest.stats import DateBlockBootstrap, block_length, mean_of, spearman


def test_spearman_with_a_tie_matches_the_hand_computation() -> None:
    # Ranks of y: 1, 2, 3.5, 5, 3.5. Centred ranks of x: -2..2, of y: -2, -1, .5, 2, .5;
    # products sum to 8, squares to 10 and 9.5, so rho is 8 over the root of 95.
    assert spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) == pytest.approx(8 / math.sqrt(95))


def test_spearman_is_about_order_only_and_skips_unknown_pairs() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, np.nan, 6.0])
    assert spearman(x, np.exp(x)) == pytest.approx(1.0)
    assert spearman(x, -(x**3)) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 2, 3], [4, 4, 4]))
    assert math.isnan(spearman([1, 2], [2, 1]))


def _history(closes, index=None, highs=None, lows=None, opens=None, factor=None) -> History:
    days = pd.bdate_range("2024-01-01", periods=len(closes))
    close = pd.Series(closes, index=days, dtype=float)
    factor = pd.Series(factor if factor is not None else 1.0, index=days, dtype=float)
    bars = pd.DataFrame(
        {
            "open": opens if opens is not None else closes,
            "high": highs if highs is not None else closes,
            "low": lows if lows is not None else closes,
            "close": closes,
        },
        index=days,
        dtype=float,
    )
    index_close = pd.Series(index, index=days, dtype=float) if index is not None else None
    return History(close * factor, bars, factor, index_close)


def test_forward_excess_return_is_the_stock_minus_the_index() -> None:
    history = _history([10, 11, 12.1, 12.1], index=[100, 105, 110.25, 99.225])
    days = history.bars.index
    stock, excess = forward_excess(history, days[0], days[2])
    assert stock == pytest.approx(0.21)
    assert excess == pytest.approx(0.21 - 0.1025)
    assert forward_excess(history, days[1], days[3])[1] == pytest.approx(0.1 - (-0.055))


def test_a_suspended_stock_keeps_its_price_and_a_stock_whose_data_ended_has_no_return() -> None:
    history = _history([10, 11, 12.1], index=[100, 100, 100])
    days = history.bars.index
    suspended = History(history.adjusted.drop(days[1]), history.bars, history.factor, history.index)
    assert forward_excess(suspended, days[0], days[1])[0] == pytest.approx(0.0)
    assert math.isnan(forward_excess(history, days[0], days[2] + pd.Timedelta(days=7))[0])
    assert math.isnan(forward_excess(_history([10, 11]), days[0], days[1])[1])  # no index: no excess


def test_momentum_needs_more_sessions_than_its_window() -> None:
    closes = pd.Series(np.linspace(10, 20, 121))
    assert momentum(closes, 120) == pytest.approx(1.0)
    assert math.isnan(momentum(closes.iloc[1:], 120))


def test_session_after_counts_sessions_of_the_calendar() -> None:
    calendar = pd.bdate_range("2024-01-01", periods=10)
    assert session_after(calendar, calendar[2], 5) == calendar[7]
    assert session_after(calendar, calendar[2], 8) is None


def _plan(closes, highs, lows, opens=None, factor=None, horizon=30):
    history = _history(closes, highs=highs, lows=lows, opens=opens, factor=factor)
    day0 = history.bars.index[0]
    return trade_outcome(history, day0, (10.0, 9.5, 11.0), horizon_days=horizon, data_end=history.bars.index[-1])


def test_the_first_level_touched_ends_the_plan() -> None:
    target_first = _plan([10, 10.2, 10.8, 9.0], highs=[10, 10.5, 11.2, 9.2], lows=[10, 9.8, 9.9, 8.8])
    assert (target_first.outcome, target_first.days) == ("target", 2)
    assert target_first.exit_return == pytest.approx(0.10)
    stop_first = _plan([10, 9.7, 11.5], highs=[10, 10.1, 11.6], lows=[10, 9.4, 10.0])
    assert (stop_first.outcome, stop_first.days) == ("stop", 1)
    assert stop_first.exit_return == pytest.approx(-0.05)


def test_a_gap_through_a_level_exits_at_the_open_and_a_day_holding_both_counts_as_the_stop() -> None:
    gap = _plan([10, 9.0], highs=[10, 9.3], lows=[10, 8.9], opens=[10, 9.1])
    assert (gap.outcome, gap.exit_return) == ("stop", pytest.approx(-0.09))
    both = _plan([10, 10.0], highs=[10, 11.5], lows=[10, 9.0])
    assert (both.outcome, both.same_day, both.exit_return) == ("stop", True, pytest.approx(-0.05))


def test_levels_are_moves_from_the_entry_whatever_basis_they_are_quoted_on() -> None:
    """A decision quoted on another basis (say, adjusted to a later date: all prices x 0.5) ends the same way."""
    history = _history([10, 10.2, 10.8], highs=[10, 10.5, 11.2], lows=[10, 9.8, 9.9])
    day0 = history.bars.index[0]
    halved = trade_outcome(history, day0, (5.0, 4.75, 5.5), horizon_days=30, data_end=history.bars.index[-1])
    assert (halved.outcome, halved.days, halved.exit_return) == ("target", 2, pytest.approx(0.10))


def test_a_dividend_is_not_a_stop() -> None:
    # Ex-date on day 2: the quoted price drops 10% and the adjustment factor rises by 1/0.9.
    factor = [1.0, 1.0, 1 / 0.9, 1 / 0.9]
    prices = {"highs": [10, 10.3, 9.3, 9.1], "lows": [10, 10.0, 8.82, 8.9], "factor": factor}
    plan = _plan([10, 10.2, 9.18, 9.0], **prices)
    # Day 2's low on day 0's basis is 8.82 / 0.9 = 9.8: above the stop. Day 3 closes at 9.0 / 0.9 = 10.0.
    assert plan.outcome == "open"  # the data ends inside the horizon: no verdict
    expired = _plan([10, 10.2, 9.18, 9.0], **prices, horizon=3)
    assert (expired.outcome, expired.exit_return, expired.days) == ("horizon", pytest.approx(0.0), 3)


def test_block_length_spans_the_forward_window_in_rebalance_steps() -> None:
    assert block_length(60, 21) == 3
    assert block_length(20, 21) == 2
    assert block_length(60, 5) == 12


def test_the_bootstrap_interval_of_a_mean_matches_the_normal_theory() -> None:
    values = np.random.default_rng(7).normal(0.0, 1.0, 2000)
    boot = DateBlockBootstrap(np.arange(2000), block=1, reps=1000, seed=1)
    low, high = boot.interval(mean_of(values, np.ones(2000, dtype=bool)))
    half = 1.96 / math.sqrt(2000)
    assert low == pytest.approx(values.mean() - half, abs=0.25 * half)
    assert high == pytest.approx(values.mean() + half, abs=0.25 * half)


def test_the_bootstrap_resamples_dates_not_rows() -> None:
    """Five copies of each of 400 dates carry the information of 400 draws, not 2,000."""
    draws = np.random.default_rng(11).normal(0.0, 1.0, 400)
    values, dates = np.repeat(draws, 5), np.repeat(np.arange(400), 5)
    boot = DateBlockBootstrap(dates, block=3, reps=1000, seed=2)
    low, high = boot.interval(mean_of(values, np.ones(len(values), dtype=bool)))
    assert (high - low) / 2 == pytest.approx(1.96 / math.sqrt(400), rel=0.2)


def test_rebalance_dates_are_the_last_sessions_of_closed_periods() -> None:
    calendar = pd.DatetimeIndex(["2024-01-30", "2024-01-31", "2024-02-01", "2024-02-29", "2024-03-01", "2024-03-04"])
    assert rebalance_dates(calendar, "month") == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-29")]
    assert rebalance_dates(calendar, "month", start=pd.Timestamp("2024-02-01").date()) == [pd.Timestamp("2024-02-29")]
    # ISO weeks: Tue 30 Jan .. Thu 1 Feb; Thu 29 Feb .. Fri 1 Mar; Mon 4 Mar still open.
    assert rebalance_dates(calendar, "week") == [pd.Timestamp("2024-02-01"), pd.Timestamp("2024-03-01")]
    with pytest.raises(ValueError, match="month or week"):
        rebalance_dates(calendar, "day")


def test_the_market_calendar_joins_the_stocks_and_the_index() -> None:
    a = _history([1, 2, 3], index=[5, 5, 5])
    b = History(a.adjusted.iloc[:1], a.bars.iloc[:1], a.factor.iloc[:1], None)
    shifted = a.index.copy()
    shifted.index = shifted.index + pd.Timedelta(days=7)
    c = History(a.adjusted, a.bars, a.factor, shifted)
    assert len(market_calendar([a, b, c])) == 6


def test_in_sample_rows_whose_window_reaches_the_held_out_period_are_purged() -> None:
    rows = pd.DataFrame(
        {
            "date": pd.to_datetime(["2023-02-28", "2023-03-31", "2023-04-28"]),
            "end_20": pd.to_datetime(["2023-03-28", "2023-04-28", "2023-05-29"]),
        }
    )
    rows["period"] = [period_of(d) for d in rows["date"]]
    assert list(rows["period"]) == ["in-sample", "in-sample", "held-out"]
    assert list(in_period(rows, "in-sample", "end_20")["date"]) == [pd.Timestamp("2023-02-28")]
    assert len(in_period(rows, "in-sample")) == 2  # no forward window: nothing to purge
    assert list(in_period(rows, "held-out", "end_20")["date"]) == [pd.Timestamp("2023-04-28")]
    assert len(in_period(rows, "all", "end_20")) == 3
