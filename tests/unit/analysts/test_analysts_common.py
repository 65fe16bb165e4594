"""The shared mappings: score → stance and grade, rounding, and the result builder."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from ta.volume import OnBalanceVolumeIndicator

from investmind.analysts.common import fmt, grade_for, make_result, num, ordinal, pct, stance_for
from investmind.analysts.quant import _nearest_swings, on_balance_volume
from investmind.analysts.signals import Signals
from investmind.models import Stance


@pytest.mark.parametrize(
    ("score", "stance"),
    [(15, Stance.bullish), (14.9, Stance.neutral), (0, Stance.neutral), (-14.9, Stance.neutral), (-15, Stance.bearish)],
)
def test_stance_for_boundaries_at_plus_minus_15(score: float, stance: Stance) -> None:
    assert stance_for(score) == stance


@pytest.mark.parametrize(
    ("score", "grade"), [(100, "S"), (50, "S"), (49.9, "A"), (20, "A"), (0, "B"), (-20, "B"), (-20.1, "C"), (-51, "D")]
)
def test_grade_for_bands(score: float, grade: str) -> None:
    assert grade_for(score) == grade


@pytest.mark.parametrize(("value", "expected"), [(None, None), (math.nan, None), (math.inf, None), (1.234567, 1.2346)])
def test_num_missing_or_non_finite_becomes_none(value, expected) -> None:
    assert num(value) == expected


def test_make_result_clips_rounds_and_derives_stance_from_final_score() -> None:
    result = make_result(
        "technical", 140.04, 1.7, "body", signals=Signals(), metrics={"x": math.nan, "y": 2.0}, evidence=["a"] * 9
    )

    assert (result.score, result.confidence, result.stance) == (100.0, 1.0, Stance.bullish)
    assert result.summary.startswith("**Technical analyst: bullish** (score +100.0, confidence 1.00)")
    assert result.metrics == {"x": None, "y": 2.0}
    assert len(result.evidence) == 6


def test_on_balance_volume_adds_nothing_on_an_unchanged_close() -> None:
    # By hand: up +200, unchanged 0, down -400, up +500, unchanged (to float noise) 0.
    close = pd.Series([10.0, 11.0, 11.0, 10.5, 12.0, 12.0 * (1 + 1e-12)])
    volume = pd.Series([100.0, 200.0, 300.0, 400.0, 500.0, 600.0])

    obv = on_balance_volume(close, volume)

    assert obv.tolist() == [0.0, 200.0, 200.0, -200.0, 300.0, 300.0]
    # The ta library counts the unchanged days as up days: the difference is exactly their volume.
    ta_obv = OnBalanceVolumeIndicator(close, volume).on_balance_volume()
    assert (ta_obv - ta_obv.iloc[0]).tolist() == [0.0, 200.0, 500.0, 100.0, 600.0, 1200.0]


def test_swing_levels_ignore_float_noise_from_adjustment() -> None:
    # A swing low at 4.64 (as adjusted: 4.6400000000000015) with a later, not yet confirmed low three
    # bars on that is "lower" only by float noise (4.640000000000001): exact equality would not see the
    # swing and fall back to the older one at 4.2.
    lows = [5.2] * 5 + [4.8, 4.5, 4.2, 4.5, 4.8, 5.0, 5.1, 4.9, 4.7, 4.6400000000000015, 4.7, 4.9]
    lows += [4.640000000000001, 4.9, 5.0]
    frame = pd.DataFrame({"low": lows, "high": [x + 0.3 for x in lows], "close": [x + 0.1 for x in lows]})
    is_min = frame["low"] == frame["low"].rolling(11, center=True).min()
    assert not is_min.iloc[14]  # what exact comparison concluded

    support, _ = _nearest_swings(frame, close=5.1)

    assert support == pytest.approx(4.64, abs=1e-12)


def test_ordinal_and_missing_values_never_print_nth() -> None:
    assert [ordinal(v) for v in (1, 2, 3, 11, 12, 13, 21, 63.4, 100)] == [
        "1st percentile",
        "2nd percentile",
        "3rd percentile",
        "11th percentile",
        "12th percentile",
        "13th percentile",
        "21st percentile",
        "63rd percentile",
        "100th percentile",
    ]
    assert ordinal(None) == "n/a" and fmt(None) == "n/a" and pct(None) == "n/a"
