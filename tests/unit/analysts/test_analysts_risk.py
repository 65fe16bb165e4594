"""The risk directors' numbers checked against an independent numpy computation from the raw CSVs."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from investmind.analysts import analyze
from investmind.errors import AgentError
from investmind.models import AgentResult, AgentStatus
from investmind.roster import STAGE1_IDS

from . import raw

D = dt.date
CASES = [("600519.SH", D(2022, 10, 31)), ("300750.SZ", D(2023, 12, 29)), ("000338.SZ", D(2018, 6, 1))]


def _true_returns(symbol: str, until: str) -> np.ndarray:
    """Daily returns from the CSV rows alone: close / preclose where the file has preclose (baostock, Qbot),
    consecutive closes where it does not (zvt, already adjusted)."""
    rows = raw.rows(symbol, until)
    out = []
    for previous, row in zip([None, *rows[:-1]], rows, strict=True):
        if row["preclose"]:
            out.append(float(row["close"]) / float(row["preclose"]) - 1)
        elif previous is not None:
            out.append(float(row["close"]) / float(previous["close"]) - 1)
    return np.array(out)


def _max_drawdown(rets: np.ndarray) -> float:
    wealth = np.concatenate([[1.0], np.cumprod(1 + rets)])
    return float(np.min(wealth / np.maximum.accumulate(wealth) - 1))


@pytest.mark.parametrize(("symbol", "as_of"), CASES)
def test_portfolio_risk_vol_and_drawdown_match_numpy(symbol, as_of, snapshot, well_formed) -> None:
    rets = _true_returns(symbol, as_of.isoformat())
    year = rets[-252:]

    result = analyze("portfolio_risk_director", snapshot(symbol, as_of), {}, STAGE1_IDS)

    well_formed(result)
    m = result.metrics
    assert m["ann_vol"] == pytest.approx(np.std(year, ddof=1) * math.sqrt(252), abs=1e-4)
    assert m["max_drawdown_1y"] == pytest.approx(_max_drawdown(year), abs=1e-4)
    assert m["max_drawdown_full"] == pytest.approx(_max_drawdown(rets), abs=1e-4)
    assert m["sharpe_1y"] == pytest.approx((np.mean(year) * 252 - 0.02) / m["ann_vol"], abs=1e-3)
    assert m["position_pct"] == pytest.approx(min(15 / m["ann_vol"], 50), abs=1e-2)
    assert m["stop_loss"] == pytest.approx(m["close"] - 2 * m["atr14"], abs=1e-3)


@pytest.mark.parametrize(("symbol", "as_of"), CASES)
def test_systemic_risk_var_and_drawdown_match_numpy(symbol, as_of, snapshot, well_formed) -> None:
    year = _true_returns(symbol, as_of.isoformat())[-252:]
    cutoff = np.quantile(year, 0.05)

    result = analyze("systemic_risk_director", snapshot(symbol, as_of), {}, STAGE1_IDS)

    well_formed(result)
    assert result.metrics["var95_1d"] == pytest.approx(-cutoff, abs=1e-4)
    assert result.metrics["cvar95_1d"] == pytest.approx(-year[year <= cutoff].mean(), abs=1e-4)
    assert result.metrics["max_drawdown_1y"] == pytest.approx(_max_drawdown(year), abs=1e-4)
    assert (
        result.signals["crash_risk"]
        == {"bullish": "low", "neutral": "moderate", "bearish": "elevated"}[result.stance.value]
    )


def test_systemic_risk_beta_matches_numpy(snapshot) -> None:
    snap = snapshot("600519.SH", D(2022, 10, 31))
    stock = _true_returns("600519.SH", "2022-10-31")[-252:]
    index_close = snap.index_bars["close"].to_numpy()
    index = index_close[1:] / index_close[:-1] - 1
    index = index[-252:]  # 600519 traded every day the index did in this window

    result = analyze("systemic_risk_director", snap, {}, STAGE1_IDS)

    cov = np.cov(stock, index)
    assert result.metrics["beta_252d"] == pytest.approx(cov[0, 1] / cov[1, 1], abs=1e-3)
    assert result.metrics["corr_252d"] == pytest.approx(np.corrcoef(stock, index)[0, 1], abs=1e-3)


def test_systemic_risk_without_index_still_reports_tail_risk(snapshot) -> None:
    result = analyze("systemic_risk_director", snapshot("000338.SZ", D(2018, 6, 1)), {}, STAGE1_IDS)

    assert result.signals["vol_regime"] == "n/a"
    assert "beta_252d" not in result.metrics
    assert result.confidence < 0.75


@pytest.mark.parametrize("agent_id", ["systemic_risk_director", "portfolio_risk_director"])
def test_risk_director_failed_upstream_lowers_confidence(agent_id, snapshot, pipeline) -> None:
    snap = snapshot("600519.SH", D(2022, 10, 31))
    upstream = {a: r for a, r in pipeline(snap).items() if r.stage <= 2}
    failed = AgentResult(agent_id="technical", stage=1, status=AgentStatus.failed, error="boom")

    clean = analyze(agent_id, snap, upstream, STAGE1_IDS)
    degraded = analyze(agent_id, snap, {**upstream, "technical": failed}, STAGE1_IDS)

    assert degraded.confidence < clean.confidence


def test_risk_director_too_little_history_raises_agent_error(snapshot) -> None:
    with pytest.raises(AgentError, match="need 60"):
        analyze("portfolio_risk_director", snapshot("603220.SH", D(2019, 1, 15)), {}, STAGE1_IDS)


@pytest.mark.parametrize(("symbol", "as_of"), CASES)
def test_portfolio_risk_shows_the_real_trailing_return_and_names_the_mean(symbol, as_of, snapshot) -> None:
    year = _true_returns(symbol, as_of.isoformat())[-252:]
    trailing = float(np.prod(1 + year) - 1)

    result = analyze("portfolio_risk_director", snapshot(symbol, as_of), {}, STAGE1_IDS)

    assert result.metrics["return_window"] == pytest.approx(trailing, abs=1e-4)
    assert result.metrics["ann_return"] == pytest.approx(np.mean(year) * 252, abs=1e-4)
    assert f"return over those days {trailing * 100:+.1f}%" in result.summary
    assert f"annualised arithmetic mean of daily returns {np.mean(year) * 252 * 100:+.1f}%" in result.summary


def test_risk_window_labels_are_the_windows_used(snapshot) -> None:
    # 300750 half a year into the bundled data: beta, drawdown and volatility windows are short.
    snap = snapshot("300750.SZ", D(2020, 7, 31))
    rets = _true_returns("300750.SZ", "2020-07-31")

    systemic = analyze("systemic_risk_director", snap, {}, STAGE1_IDS)
    portfolio = analyze("portfolio_risk_director", snap, {}, STAGE1_IDS)

    days = len(rets) - 1  # 300750 and the index traded alike; the index's first day has no return
    assert systemic.metrics["beta_days"] == days < 252
    assert f"over {days} common days" in systemic.summary and "252 days" not in systemic.summary
    assert f"over the last {len(snap.bars) - 1} days" in systemic.summary
    assert f"over the last {len(rets)} days (risk" in portfolio.summary
    assert "3-year" not in systemic.summary and "n/ath" not in systemic.summary + portfolio.summary
