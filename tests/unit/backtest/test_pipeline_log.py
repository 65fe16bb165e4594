"""The backtest's in-process log answers appends as a log does: what it wrote, so no agent outcome reads as refused."""

from __future__ import annotations

import datetime as dt
import logging

from investmind.market import load_snapshot
from investmind_cli.backtest.pipeline import analyse


def test_an_in_process_analysis_records_every_outcome_without_refusals(caplog) -> None:
    with caplog.at_level(logging.WARNING):
        analysis = analyse("601166.SH", dt.date(2023, 11, 30), load_snapshot)

    assert analysis.decision is not None and len(analysis.results) == 10
    assert not [r for r in caplog.records if "refused" in r.getMessage()]
