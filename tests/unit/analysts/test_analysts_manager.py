"""The investment decision manager: a Decision consistent with its score, text, risk caps and inputs."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from investmind.analysts import analyze
from investmind.analysts.common import stance_for
from investmind.errors import AgentError
from investmind.models import RATINGS_FOR_ACTION, AgentResult, AgentStatus, Stance
from investmind.roster import STAGE1_IDS

D = dt.date
# About twenty dates across four stocks, bull and bear phases, with and without index or valuation.
SAMPLES = [
    ("600519.SH", D(2020, 7, 15)),
    ("600519.SH", D(2021, 2, 10)),
    ("600519.SH", D(2021, 8, 20)),
    ("600519.SH", D(2022, 4, 27)),
    ("600519.SH", D(2022, 10, 31)),
    ("600519.SH", D(2023, 6, 30)),
    ("600519.SH", D(2024, 9, 30)),
    ("600519.SH", None),
    ("300750.SZ", D(2020, 12, 31)),
    ("300750.SZ", D(2021, 12, 2)),
    ("300750.SZ", D(2022, 4, 26)),
    ("300750.SZ", D(2023, 4, 26)),
    ("300750.SZ", D(2024, 10, 8)),
    ("000001.SZ", D(2019, 4, 8)),
    ("000001.SZ", D(2021, 2, 18)),
    ("000001.SZ", D(2023, 12, 11)),
    ("601318.SH", D(2020, 3, 23)),
    ("000338.SZ", D(2016, 1, 28)),
    ("000338.SZ", D(2018, 6, 1)),
    ("000783.SZ", D(2019, 3, 8)),
]
OTHER_ACTIONS = {"BUY": ("HOLD", "SELL"), "HOLD": ("BUY", "SELL"), "SELL": ("BUY", "HOLD")}


def _result(agent_id: str, stage: int, score: float, confidence: float = 0.7) -> AgentResult:
    return AgentResult(
        agent_id=agent_id,
        stage=stage,
        status=AgentStatus.succeeded,
        stance=stance_for(score),
        score=score,
        confidence=confidence,
    )


def _assert_consistent(result: AgentResult, upstream: dict[str, AgentResult]) -> None:
    decision = result.decision
    failed = [a for a, r in upstream.items() if r.status == AgentStatus.failed]
    assert decision.degraded == bool(failed)
    assert decision.rating in RATINGS_FOR_ACTION[decision.action]
    assert decision.confidence == result.confidence
    assert result.signals["action"] == decision.action and result.signals["rating"] == decision.rating
    assert f"**{decision.action} ({decision.rating})**" in decision.rationale
    assert not any(re.search(rf"\b{other}\b", decision.rationale) for other in OTHER_ACTIONS[decision.action])
    assert decision.rationale in result.summary
    if not decision.tradeable:
        # Too little succeeded: no trade decision, and the text says what was missing.
        assert decision.action == "HOLD" and decision.position_pct == 0 and decision.missing
        assert set(decision.missing) <= set(failed)
        assert decision.stop_loss is decision.take_profit is decision.stop_loss_pct is None
        assert "no trade decision" in decision.rationale and all(a in decision.rationale for a in decision.missing)
        return
    expected = "BUY" if result.score >= 20 else "SELL" if result.score <= -20 else "HOLD"
    assert decision.action == expected
    close, base = result.metrics["close"], result.metrics["base_position_pct"]
    if decision.action == "SELL":
        assert result.stance == Stance.bearish and decision.position_pct == 0
        assert decision.entry_range is decision.stop_loss is decision.take_profit is None
        assert decision.stop_loss_pct is decision.take_profit_pct is None
        return
    if decision.action == "BUY":
        assert result.stance == Stance.bullish
        assert 0 < decision.position_pct <= 50
        assert f"Position {decision.position_pct:.1f}%" in decision.rationale
    else:  # HOLD: keep at most the position, no entry, no new buying; the size follows the score
        assert decision.entry_range is None and decision.entry_range_pct is None
        assert f"Keep at most {decision.position_pct:.1f}% of the book" in decision.rationale
        assert "no new buying" in decision.rationale
        scale = 0.5 * (1 + result.score / 20)
        assert decision.position_pct <= base * decision.confidence * scale + 0.05
    if decision.stop_loss_pct is None:
        assert "too little price history" in decision.rationale
        return
    assert decision.stop_loss_pct < 0 < decision.take_profit_pct
    if decision.price_basis == "adjusted":
        assert decision.entry_range is decision.stop_loss is decision.take_profit is None
        assert "levels are relative to the close" in decision.rationale
        assert f"stop {decision.stop_loss_pct * 100:+.1f}%" in decision.rationale
    else:
        assert decision.stop_loss < close < decision.take_profit
        assert decision.stop_loss_pct == pytest.approx(decision.stop_loss / close - 1, abs=1e-4)
        assert f"stop {decision.stop_loss:,.2f}" in decision.rationale
        if decision.action == "BUY":
            low, high = decision.entry_range
            assert decision.stop_loss < low <= high < decision.take_profit
    opposed = {"BUY": Stance.bearish, "SELL": Stance.bullish}.get(decision.action)
    for agent_id in decision.dissent:
        if opposed is not None:
            assert upstream[agent_id].stance == opposed


@pytest.mark.parametrize(("symbol", "as_of"), SAMPLES)
def test_manager_decision_consistent_with_score_rating_and_rationale(
    symbol, as_of, snapshot, pipeline, well_formed
) -> None:
    results = pipeline(snapshot(symbol, as_of))
    manager = results.pop("investment_gm")

    well_formed(manager)
    _assert_consistent(manager, results)
    for result in results.values():
        if result.status == AgentStatus.succeeded:
            well_formed(result)
        else:
            assert result.status == AgentStatus.failed and result.error


def test_manager_samples_reach_more_than_one_action(snapshot, pipeline) -> None:
    actions = {pipeline(snapshot(s, d))["investment_gm"].decision.action for s, d in SAMPLES}

    assert {"BUY", "SELL"} <= actions


def test_manager_failed_analyst_marks_degraded(snapshot, pipeline) -> None:
    results = pipeline(snapshot("600519.SH", D(2021, 2, 10)), fail=["funds"])
    decision = results["investment_gm"].decision

    assert decision.degraded is True
    assert "Degraded: funds failed." in decision.rationale


def test_manager_failed_director_stands_in_with_its_inputs(snapshot, pipeline) -> None:
    results = pipeline(snapshot("600519.SH", D(2022, 10, 31)), fail=["momentum_director"])
    manager = results.pop("investment_gm")

    assert manager.metrics["momentum_director_score"] is not None
    assert any("momentum_director failed" in note for note in manager.signals["notes"])
    _assert_consistent(manager, results)


def test_manager_subset_of_analysts_not_degraded(snapshot, pipeline) -> None:
    results = pipeline(snapshot("600519.SH", D(2021, 2, 10)), selected=["technical"])
    manager = results.pop("investment_gm")

    assert results["fundamental_director"].status == AgentStatus.skipped
    assert manager.decision.degraded is False
    _assert_consistent(manager, results)


def test_manager_no_director_raises_agent_error(snapshot) -> None:
    with pytest.raises(AgentError, match="no director result"):
        analyze("investment_gm", snapshot("600519.SH", D(2021, 2, 10)), {}, STAGE1_IDS)


def test_manager_elevated_crash_risk_caps_rating_and_halves_position(snapshot) -> None:
    snap = snapshot("600519.SH", D(2021, 2, 10))
    upstream = {
        "fundamental_director": _result("fundamental_director", 2, 90),
        "momentum_director": _result("momentum_director", 2, 90),
        "systemic_risk_director": _result("systemic_risk_director", 3, 0),
        "portfolio_risk_director": _result("portfolio_risk_director", 3, 90),
    }
    # No stage-1 analyst selected: the directors' results above are all there is (none failed).
    calm = analyze("investment_gm", snap, upstream, [])
    stressed_upstream = {**upstream, "systemic_risk_director": _result("systemic_risk_director", 3, -30)}
    stressed = analyze("investment_gm", snap, stressed_upstream, [])

    assert calm.decision.rating == "Buy"
    assert (stressed.decision.action, stressed.decision.rating) == ("BUY", "Overweight")
    assert "crash risk elevated: rating capped at Overweight" in stressed.decision.rationale
    assert "x 0.5 (risk cap)" in stressed.decision.rationale
    assert stressed.decision.dissent == ["systemic_risk_director"]


def test_manager_hold_strong_views_are_dissent(snapshot) -> None:
    snap = snapshot("600519.SH", D(2021, 2, 10))
    upstream = {
        "fundamental_director": _result("fundamental_director", 2, 60),
        "momentum_director": _result("momentum_director", 2, -60),
        "systemic_risk_director": _result("systemic_risk_director", 3, 0),
        "portfolio_risk_director": _result("portfolio_risk_director", 3, 0),
    }

    result = analyze("investment_gm", snap, upstream, [])

    assert result.decision.action == "HOLD" and result.score == 0
    assert set(result.decision.dissent) == {"fundamental_director", "momentum_director"}
    assert "x 0.50 (hold scale at this score)" in result.decision.rationale
    assert "no new buying" in result.decision.rationale and result.decision.entry_range is None


def _directors(score: float) -> dict[str, AgentResult]:
    return {
        agent_id: _result(agent_id, 2 if agent_id.endswith("r") and "risk" not in agent_id else 3, score)
        for agent_id in (
            "fundamental_director",
            "momentum_director",
            "systemic_risk_director",
            "portfolio_risk_director",
        )
    }


def test_manager_hold_size_follows_the_score_sign(snapshot) -> None:
    snap = snapshot("600519.SH", D(2021, 8, 20))
    sizes = {}
    for score in (-19, -10, 0, 10, 19):
        result = analyze("investment_gm", snap, _directors(score), [])
        assert result.decision.action == "HOLD" and result.decision.entry_range is None
        sizes[score] = result.decision.position_pct
    buy = analyze("investment_gm", snap, _directors(20), []).decision

    assert sizes[-19] < sizes[-10] < sizes[0] < sizes[10] < sizes[19] < buy.position_pct
    assert sizes[-10] == pytest.approx(sizes[0] / 2, abs=0.1)  # a quarter of a BUY's size at -10
    assert sizes[-19] <= 0.05 * buy.position_pct + 0.1


def test_manager_half_the_agents_failed_gives_no_trade_decision(snapshot, pipeline) -> None:
    # 603220 ten weeks after listing: too few bars for the technical and both risk directors (the audit
    # saw a BUY here with 5 of 10 failed; macro and industry now work from the macro series and a peer).
    results = pipeline(snapshot("603220.SH", D(2019, 1, 31)))
    manager = results.pop("investment_gm")
    decision = manager.decision

    failed = {a for a, r in results.items() if r.status == AgentStatus.failed}
    assert {"technical", "systemic_risk_director", "portfolio_risk_director"} <= failed
    assert manager.status == AgentStatus.succeeded
    assert decision.tradeable is False and set(decision.missing) == failed
    assert decision.action == "HOLD" and decision.position_pct == 0 and decision.take_profit is None
    _assert_consistent(manager, results)


def test_manager_decision_on_adjusted_prices_gives_levels_relative_to_the_close(snapshot, pipeline) -> None:
    results = pipeline(snapshot("000338.SZ", D(2018, 6, 1)))
    decision = results["investment_gm"].decision

    assert decision.price_basis == "adjusted" and decision.action != "SELL"
    assert decision.stop_loss is decision.take_profit is None and decision.stop_loss_pct < 0 < decision.take_profit_pct
    assert "Only adjusted prices exist for this date" in decision.rationale


def test_manager_with_little_history_gives_no_trade_decision(snapshot, pipeline) -> None:
    # Three weeks into the 300750 data (600519 now has Qbot's history from 2010): the technical analyst
    # fails, and without it (trend, levels) there is no trade decision (minimum coverage, issue 14).
    results = pipeline(snapshot("300750.SZ", D(2020, 1, 20)))
    decision = results["investment_gm"].decision

    assert results["technical"].status == AgentStatus.failed
    assert decision.degraded is True and decision.action == "HOLD" and decision.tradeable is False
    assert "technical" in decision.missing and "no trade decision" in decision.rationale
    assert decision.entry_range is None and decision.stop_loss is None and decision.position_pct == 0
