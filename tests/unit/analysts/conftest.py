"""Fixtures for the analyst tests: snapshots of the bundled data and an in-process run of the four stages."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable, Iterable

import pytest

from investmind.analysts import analyze
from investmind.errors import AgentError
from investmind.market import Snapshot, load_snapshot
from investmind.models import AgentResult, AgentStatus
from investmind.roster import STAGE1_IDS, STAGES

Pipeline = Callable[..., dict[str, AgentResult]]


@functools.cache
def snapshot_at(symbol: str, as_of: dt.date | None) -> Snapshot:
    """Snapshots are read-only, so tests share them."""
    return load_snapshot(symbol, as_of)


def run_pipeline(
    snapshot: Snapshot, selected: Iterable[str] = STAGE1_IDS, fail: Iterable[str] = (), language: str = "en"
) -> dict[str, AgentResult]:
    """Every stage in order, as the state machine runs them, in ``language``: a skipped result for an
    analyst not selected, a failed one for an agent that raises AgentError or is named in ``fail``."""
    selected, fail = list(selected), set(fail)
    results: dict[str, AgentResult] = {}
    for stage, specs in STAGES.items():
        upstream = dict(results)
        for spec in specs:
            agent_id = spec.agent_id
            if stage == 1 and agent_id not in selected:
                results[agent_id] = AgentResult(agent_id=agent_id, stage=1, status=AgentStatus.skipped)
                continue
            try:
                if agent_id in fail:
                    raise AgentError(f"{agent_id}: injected failure")
                results[agent_id] = analyze(agent_id, snapshot, upstream, selected, language)
            except AgentError as exc:
                results[agent_id] = AgentResult(
                    agent_id=agent_id, stage=stage, status=AgentStatus.failed, error=str(exc)
                )
    return results


def assert_well_formed(result: AgentResult) -> None:
    """What every succeeded result promises, whatever the role."""
    assert result.status == AgentStatus.succeeded
    assert result.provider == "quant"
    assert -100 <= result.score <= 100 and 0 <= result.confidence <= 1
    assert 3 <= len(result.evidence) <= 6
    assert (
        f": {result.stance.value}** (score {result.score:+.1f}, confidence {result.confidence:.2f})" in result.summary
    )
    for key, value in result.metrics.items():
        assert value is None or math.isfinite(value), key
    AgentResult.model_validate_json(result.model_dump_json())


@pytest.fixture
def pipeline() -> Pipeline:
    return run_pipeline


@pytest.fixture
def well_formed() -> Callable[[AgentResult], None]:
    return assert_well_formed


@pytest.fixture
def snapshot() -> Callable[[str, dt.date | None], Snapshot]:
    return snapshot_at
