"""The shared mappings: score → stance and grade, rounding, and the result builder."""

from __future__ import annotations

import math

import pytest

from investmind.analysts.common import grade_for, make_result, num, stance_for
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
