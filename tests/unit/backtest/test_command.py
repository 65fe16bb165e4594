"""``investmind backtest`` end to end on a few real stocks and dates, and its refusals of bad input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from investmind.market import load_snapshot
from investmind_cli.backtest.engine import HORIZONS, Plan, run
from investmind_cli.main import main

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_backtest_writes_the_report_and_its_pictures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "docs" / "backtest.md"
    rows = tmp_path / "rows.csv"
    args = ["600519", "300750.SZ", "--from", "2023-01-01", "--to", "2023-06-30", "--reps", "200"]
    args += ["--out", str(out), "--rows", str(rows)]
    assert main(["backtest", *args]) == 0
    text = out.read_text()
    assert "6 rebalance dates (2023-01-31 .. 2023-06-30), 2 stocks, 12 analyses run, 12 with a decision" in text
    for heading in ("Over the CSI 300, 20 sessions ahead", "Rank correlation", "The BUY trade plans", "momentum"):
        assert heading in text
    for picture in ("backtest-cumulative.png", "backtest-score.png"):
        assert f"]({picture})" in text
        assert (out.parent / picture).read_bytes()[:8] == PNG_MAGIC
    assert "Spearman" in capsys.readouterr().out
    written = pd.read_csv(rows)
    assert len(written) == 12 and set(written["symbol"]) == {"600519.SH", "300750.SZ"}
    assert set(written["action"]) <= {"BUY", "HOLD", "SELL"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2023-06-01", "--to", "2023-01-01"], "is after"),
        (["999999.SZ"], "999999"),
        (["not-a-symbol"], "not-a-symbol"),
        (["600519", "--from", "1990-01-01", "--to", "1990-12-31"], "no stock traded"),
    ],
)
def test_bad_input_gets_a_clear_error_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    out = tmp_path / "backtest.md"
    assert main(["backtest", *args, "--out", str(out)]) != 0
    assert message in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_an_unknown_frequency_is_refused() -> None:
    with pytest.raises(SystemExit) as exited:
        main(["backtest", "--every", "fortnight"])
    assert exited.value.code == 2


def test_weekly_rows_are_analysed_at_week_ends_and_scored_over_later_sessions() -> None:
    result = run(Plan(("000858.SZ",), dt.date(2024, 3, 1), dt.date(2024, 3, 31), "week"))
    rows = result.rows
    assert [d.date() for d in rows["date"]] == [dt.date(2024, 3, d) for d in (1, 8, 15, 22, 29)]
    assert rows["action"].notna().all()
    full = load_snapshot("000858.SZ")
    adjusted, index = full.universe["000858.SZ"], full.index_bars["close"]
    row = rows.iloc[2]
    for horizon in HORIZONS:
        start = adjusted.index.get_loc(row["date"])
        end = adjusted.index[start + horizon]  # the stock traded every session of this window
        expected = adjusted[end] / adjusted[row["date"]] - index[end] / index[row["date"]]
        assert row[f"excess_{horizon}"] == pytest.approx(expected)
    assert row["momentum"] == pytest.approx(adjusted[row["date"]] / adjusted.iloc[start - 120] - 1)
    assert rows["excess_next"].iloc[0] == pytest.approx(
        adjusted[rows["date"][1]] / adjusted[rows["date"][0]] - index[rows["date"][1]] / index[rows["date"][0]]
    )
    assert isinstance(rows["date"].iloc[0], pd.Timestamp)


def test_rows_do_not_depend_on_how_many_processes_ran_them() -> None:
    plan = Plan(("600519.SH", "000858.SZ", "601318.SH"), dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    alone, spread = run(plan), run(plan, jobs=2)
    assert len(alone.rows) == 9
    pd.testing.assert_frame_equal(alone.rows, spread.rows)
    assert alone.skipped == spread.skipped and alone.agent_failures == spread.agent_failures


def test_jobs_below_one_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "backtest.md"
    assert main(["backtest", "600519", "--jobs", "0", "--out", str(out)]) == 2
    assert "--jobs must be at least 1" in capsys.readouterr().err
    assert not out.exists()
