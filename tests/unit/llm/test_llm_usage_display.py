"""What the CLI shows of LLM usage and cost: per agent, in the live title, under the decision, per event line."""

from __future__ import annotations

import io

from rich.console import Console

from investmind_cli import main as cli

USAGE = {"llm_calls": 2, "tokens_in": 3100, "tokens_out": 640, "latency_ms": 2400, "cost_usd": 0.000849}
DECISION = {
    "action": "BUY",
    "rating": "Overweight",
    "position_pct": 20.0,
    "entry_range": [1500.0, 1550.0],
    "stop_loss": 1450.0,
    "take_profit": 1700.0,
    "horizon_days": 60,
    "confidence": 0.6,
    "rationale": "**BUY (Overweight)**: weighted score +30.0.",
    "dissent": [],
    "degraded": False,
}


def _events() -> list[dict]:
    technical = {
        "agent_id": "technical",
        "stage": 1,
        "status": "succeeded",
        "stance": "bullish",
        "score": 40.0,
        "summary": "**Technical analyst: bullish**",
        "provider": "openai:gpt-4o-mini",
        "usage": USAGE,
    }
    macro = {**technical, "agent_id": "macro", "provider": "quant", "fallback": True}
    macro["usage"] = {**USAGE, "llm_calls": 1}
    envelope = {"task_id": "t" * 32, "ts": "2026-01-01T00:00:00.000Z"}
    return [
        {**envelope, "seq": 1, "type": "task_started", "data": {"symbol": "600519.SH"}},
        {**envelope, "seq": 2, "type": "agent_completed", "agent_id": "technical", "stage": 1,
         "data": {"result": technical}},
        {**envelope, "seq": 3, "type": "agent_completed", "agent_id": "macro", "stage": 1, "data": {"result": macro}},
        {**envelope, "seq": 4, "type": "task_completed",
         "data": {"decision": DECISION, "degraded": False, "usage": USAGE}},
    ]  # fmt: skip


def test_follow_view_shows_provider_total_and_usage_row() -> None:
    out = io.StringIO()

    view = cli.render(_events(), Console(file=out, width=200, color_system=None))

    text = out.getvalue()
    assert view.rows["technical"]["provider"] == "openai:gpt-4o-mini"
    assert view.rows["macro"]["provider"] == "quant (fallback)"
    assert "2 LLM calls · 3,100 in / 640 out tokens · $0.0008 · 2.4 s LLM time" in text
    assert "3,740 tokens · $0.0008" in text  # the title: task_completed's total


def test_status_without_decision_shows_the_agents_usage_so_far() -> None:
    view = cli.LiveView()
    for event in _events()[:3]:
        view.apply(event)

    assert view.total_usage()["llm_calls"] == 3 and view.total_usage()["tokens_in"] == 6200
    assert cli.usage_text({"llm_calls": 0}) == "no LLM calls (quant only) · $0"


def test_plain_lines_carry_llm_usage() -> None:
    lines = [cli.plain_line(e) for e in _events()]

    assert lines[1].endswith("llm_calls=2 tokens=3100/640 cost=$0.000849")
    assert lines[3].startswith("#4 task_completed BUY Overweight position=20.0%") and "llm_calls=2" in lines[3]
    assert "llm_calls" not in lines[0]
