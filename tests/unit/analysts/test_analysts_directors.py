"""The research directors: weighted synthesis, named conflicts, grades, and missing inputs."""

from __future__ import annotations

import datetime as dt

import pytest

from investmind.analysts import analyze
from investmind.analysts.common import grade_for, stance_for
from investmind.errors import AgentError
from investmind.models import AgentResult, AgentStatus, Stance
from investmind.roster import STAGE1_IDS

SNAPSHOT_AT = ("600519.SH", dt.date(2022, 10, 31))


def _result(agent_id: str, score: float, confidence: float) -> AgentResult:
    return AgentResult(
        agent_id=agent_id,
        stage=1,
        status=AgentStatus.succeeded,
        stance=stance_for(score),
        score=score,
        confidence=confidence,
    )


def _failed(agent_id: str) -> AgentResult:
    return AgentResult(agent_id=agent_id, stage=1, status=AgentStatus.failed, error="boom")


def test_momentum_director_weights_scores_by_weight_and_confidence(snapshot, well_formed) -> None:
    upstream = {"technical": _result("technical", 60, 0.8), "funds": _result("funds", -40, 0.6)}

    result = analyze("momentum_director", snapshot(*SNAPSHOT_AT), upstream, STAGE1_IDS)

    well_formed(result)
    expected = (0.6 * 0.8 * 60 + 0.4 * 0.6 * -40) / (0.6 * 0.8 + 0.4 * 0.6)
    assert result.score == pytest.approx(expected, abs=0.05)
    assert result.signals["grade"] == grade_for(result.score) == "A"


def test_momentum_director_inputs_disagree_names_core_conflict(snapshot) -> None:
    upstream = {"technical": _result("technical", 60, 0.8), "funds": _result("funds", -40, 0.6)}

    result = analyze("momentum_director", snapshot(*SNAPSHOT_AT), upstream, STAGE1_IDS)

    assert result.signals["conflict"] == "technical positive (+60) vs funds negative (-40)"
    assert "core conflict: technical positive (+60) vs funds negative (-40)" in result.summary


def test_momentum_director_inputs_agree_no_conflict_higher_confidence(snapshot) -> None:
    agree = {"technical": _result("technical", 60, 0.8), "funds": _result("funds", 40, 0.6)}
    disagree = {"technical": _result("technical", 60, 0.8), "funds": _result("funds", -40, 0.6)}

    calm = analyze("momentum_director", snapshot(*SNAPSHOT_AT), agree, STAGE1_IDS)
    split = analyze("momentum_director", snapshot(*SNAPSHOT_AT), disagree, STAGE1_IDS)

    assert calm.signals["conflict"] is None and "inputs agree in direction" in calm.summary
    assert calm.confidence > split.confidence


def test_fundamental_director_failed_input_lowers_confidence_and_is_listed(snapshot) -> None:
    full = {
        "macro": _result("macro", 20, 0.7),
        "industry": _result("industry", 10, 0.7),
        "fundamental": _result("fundamental", 30, 0.7),
    }
    partial = {**full, "industry": _failed("industry")}

    complete = analyze("fundamental_director", snapshot(*SNAPSHOT_AT), full, STAGE1_IDS)
    degraded = analyze("fundamental_director", snapshot(*SNAPSHOT_AT), partial, STAGE1_IDS)

    assert degraded.confidence < complete.confidence
    assert degraded.signals["failed"] == ["industry"]
    assert "Missing (failed): industry." in degraded.summary


def test_fundamental_director_all_inputs_failed_raises_agent_error(snapshot) -> None:
    upstream = {a: _failed(a) for a in ("macro", "industry", "fundamental")}

    with pytest.raises(AgentError, match="no upstream result to synthesise"):
        analyze("fundamental_director", snapshot(*SNAPSHOT_AT), upstream, STAGE1_IDS)


def test_fundamental_director_no_input_selected_is_skipped(snapshot) -> None:
    result = analyze("fundamental_director", snapshot(*SNAPSHOT_AT), {}, ["technical", "funds"])

    assert result.status == AgentStatus.skipped
    assert result.stance == Stance.neutral and result.confidence == 0


def test_momentum_director_unselected_input_not_counted_as_failure(snapshot) -> None:
    upstream = {"technical": _result("technical", 50, 0.8)}

    result = analyze("momentum_director", snapshot(*SNAPSHOT_AT), upstream, ["technical"])

    assert result.signals["failed"] == [] and result.signals["not_run"] == ["funds"]
    assert result.score == 50


def test_directors_on_real_pipeline_return_well_formed_results(snapshot, pipeline, well_formed) -> None:
    results = pipeline(snapshot(*SNAPSHOT_AT))

    for agent_id in ("fundamental_director", "momentum_director"):
        well_formed(results[agent_id])
        assert set(results[agent_id].signals["inputs"]) <= set(STAGE1_IDS)
