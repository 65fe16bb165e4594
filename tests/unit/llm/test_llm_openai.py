"""The OpenAI-compatible provider against a real HTTP server on loopback: answers, repairs, retries, timeouts."""

from __future__ import annotations

import dataclasses
import json

import pytest

from investmind.llm import provider_for
from investmind.llm.refine import Refiner
from investmind.models import Decision

from .conftest import opinion


def refine(config, quant, context, results, events):
    return Refiner(provider_for(config), config)(quant, context, results, events)


def test_openai_valid_json_becomes_the_result_with_usage_and_cost(
    openai_server, openai_config, results, context, events
):
    quant = results["technical"]
    openai_server.reply(opinion(quant, shift=-4), tokens_in=1500, tokens_out=400)

    out = refine(openai_config, quant, context, results, events)

    assert out.provider == "openai:gpt-4o-mini" and out.fallback is False
    assert out.score == pytest.approx(quant.score - 4, abs=0.05) and out.stance == quant.stance
    assert out.summary.startswith(f"**Technical analyst: bullish** (score {out.score:+.1f}")
    assert "The view stays bullish" in out.summary
    assert out.signals == quant.signals and out.metrics == quant.metrics  # the LLM never rewrites the numbers
    assert (out.usage.llm_calls, out.usage.tokens_in, out.usage.tokens_out) == (1, 1500, 400)
    assert out.usage.cost_usd == pytest.approx((1500 * 0.15 + 400 * 0.60) / 1e6)
    assert out.usage.latency_ms >= 0
    assert events.messages("info") == [
        f"technical: openai:gpt-4o-mini 1 call(s), 1500 in / 400 out tokens, ${out.usage.cost_usd:.6f}, "
        f"{out.usage.latency_ms} ms"
    ]


def test_openai_request_carries_schema_metrics_and_upstream_not_raw_data(
    openai_server, openai_config, results, context, events
):
    quant = results["momentum_director"]
    openai_server.reply(opinion(quant))

    refine(openai_config, quant, context, results, events)

    request = openai_server.requests[0]
    body = request["body"]
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test"
    assert body["model"] == "gpt-4o-mini" and [m["role"] for m in body["messages"]] == ["system", "user"]
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["name"] == "momentum_director_reply"
    assert fmt["json_schema"]["strict"] is True and fmt["json_schema"]["schema"]["additionalProperties"] is False
    prompt = body["messages"][1]["content"]
    assert "600519.SH" in prompt and "breakout_odds" in prompt and "momentum_state" in prompt
    assert "- technical: bullish" in prompt and "- funds: bullish" in prompt
    assert "- macro" not in prompt  # only what this director reads
    assert len(prompt) < 4000  # numbers and one line per input, never bars or whole summaries


def test_openai_invalid_json_then_valid_is_repaired_once(openai_server, openai_config, results, context, events):
    quant = results["funds"]
    openai_server.reply("Sure! Here is my analysis: it looks good.", tokens_in=1000, tokens_out=20)
    openai_server.reply(opinion(quant), tokens_in=1100, tokens_out=300)

    out = refine(openai_config, quant, context, results, events)

    assert out.provider == "openai:gpt-4o-mini" and out.fallback is False
    assert (out.usage.llm_calls, out.usage.tokens_in, out.usage.tokens_out) == (2, 2100, 320)
    [warning] = events.messages("warning")
    assert "answer rejected (the reply is not valid JSON" in warning and "asking once for a repair" in warning
    repair = openai_server.requests[1]["body"]["messages"]
    assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
    assert repair[2]["content"] == "Sure! Here is my analysis: it looks good."
    assert "not valid JSON" in repair[3]["content"]


def test_openai_invalid_twice_falls_back_to_quant_and_says_why(openai_server, openai_config, results, context, events):
    quant = results["macro"]
    openai_server.reply("not json", tokens_in=900, tokens_out=5)
    openai_server.reply(opinion(quant, stance="bearish"), tokens_in=950, tokens_out=200)

    out = refine(openai_config, quant, context, results, events)

    assert out.fallback is True and out.provider == "quant"
    assert out.model_dump(exclude={"fallback", "usage"}) == quant.model_dump(exclude={"fallback", "usage"})
    assert (out.usage.llm_calls, out.usage.tokens_in) == (2, 1850)  # the failed calls still cost
    level, message, data = events.lines[-2]
    assert level == "warning" and data["fallback"] is True
    assert "the quant result stands: invalid again after one repair: stance must stay bullish" in message


def test_openai_reply_out_of_bounds_is_rejected_then_repaired(openai_server, openai_config, results, context, events):
    quant = results["industry"]
    openai_server.reply(opinion(quant, shift=-30))
    openai_server.reply(opinion(quant, shift=-5))

    out = refine(openai_config, quant, context, results, events)

    assert out.score == pytest.approx(quant.score - 5, abs=0.05)
    assert f"moves more than 10 from the quant {quant.score:+.1f}" in events.messages("warning")[0]


def test_openai_429_then_success_retries_with_a_log_event(openai_server, openai_config, results, context, events):
    quant = results["technical"]
    openai_server.reply(status=429)
    openai_server.reply(status=503)
    openai_server.reply(opinion(quant))

    out = refine(openai_config, quant, context, results, events)

    assert out.fallback is False and out.usage.llm_calls == 3
    retries = [m for m in events.messages("warning") if "retry" in m]
    assert len(retries) == 2
    assert retries[0].startswith("technical: openai:gpt-4o-mini call 1 failed (HTTP 429); retry 1/2 in ")
    assert "call 2 failed (HTTP 503); retry 2/2" in retries[1]
    delays = [data["delay_s"] for _, m, data in events.lines if "retry" in m]
    assert all(0.0 <= d <= 0.05 for d in delays)  # capped exponential backoff with jitter


def test_openai_429_beyond_max_retries_falls_back(openai_server, openai_config, results, context, events):
    quant = results["technical"]
    for _ in range(3):
        openai_server.reply(status=429)

    out = refine(openai_config, quant, context, results, events)

    assert out.fallback is True and out.usage.llm_calls == 3 and out.usage.tokens_in == 0
    assert "HTTP 429 after 3 attempts" in events.lines[-2][1]


def test_openai_timeout_then_answer_retries(openai_server, openai_config, results, context, events):
    quant = results["technical"]
    openai_server.reply(opinion(quant), delay_s=5.0)  # held back past the client's timeout
    openai_server.reply(opinion(quant))

    out = refine(dataclasses.replace(openai_config, timeout_s=0.3), quant, context, results, events)

    assert out.fallback is False
    assert "call 1 failed (no answer within 0.3 s)" in events.messages("warning")[0]


def test_openai_timeout_without_retries_falls_back(openai_server, openai_config, results, context, events):
    quant = results["technical"]
    openai_server.reply(opinion(quant), delay_s=5.0)

    config = dataclasses.replace(openai_config, timeout_s=0.3, max_retries=0)
    out = refine(config, quant, context, results, events)

    assert out.fallback is True
    assert "no answer within 0.3 s after 1 attempts" in events.lines[-2][1]


def test_openai_client_error_is_not_retried(openai_server, openai_config, results, context, events):
    quant = results["technical"]
    openai_server.reply(status=400)

    out = refine(openai_config, quant, context, results, events)

    assert out.fallback is True and len(openai_server.requests) == 1
    assert "HTTP 400" in events.lines[-2][1]


def test_openai_json_object_mode_sends_the_schema_in_the_prompt(openai_server, openai_config, results, context, events):
    quant = results["fundamental"]
    openai_server.reply("```json\n" + json.dumps(opinion(quant)) + "\n```")

    out = refine(dataclasses.replace(openai_config, response_format="json_object"), quant, context, results, events)

    body = openai_server.requests[0]["body"]
    assert body["response_format"] == {"type": "json_object"}
    assert "JSON schema of the reply" in body["messages"][0]["content"]
    assert out.fallback is False  # a fenced JSON object is accepted


def test_openai_manager_decision_lowered_position_stays_consistent(
    openai_server, openai_config, results, context, events
):
    quant = results["investment_gm"]
    openai_server.reply(opinion(quant))

    out = refine(openai_config, quant, context, results, events)

    d = out.decision
    assert d.action == quant.decision.action and d.rating == quant.decision.rating
    assert d.position_pct == pytest.approx(round(quant.decision.position_pct * 0.8, 1))
    assert out.metrics["position_pct"] == d.position_pct
    assert (d.entry_range, d.stop_loss, d.take_profit) == (
        quant.decision.entry_range,
        quant.decision.stop_loss,
        quant.decision.take_profit,
    )
    assert d.rationale.startswith(f"**{d.action} ({d.rating})**") and d.confidence == out.confidence
    Decision.model_validate(d.model_dump())


def test_openai_manager_cannot_change_the_action(openai_server, openai_config, results, context, events):
    quant = results["investment_gm"]
    assert quant.decision.action == "BUY"
    flipped = opinion(quant)
    flipped["decision"] |= {"action": "SELL", "rating": "Sell", "position_pct": 0, "rationale": "**SELL (Sell)**: exit"}
    raised = opinion(quant)
    raised["decision"]["position_pct"] = quant.decision.position_pct + 10
    openai_server.reply(flipped)
    openai_server.reply(raised)

    out = refine(openai_config, quant, context, results, events)

    assert out.fallback is True and out.decision == quant.decision
    assert "action and rating must stay BUY (Overweight)" in events.messages("warning")[0]
    assert "position_pct may only be lowered" in events.lines[-2][1]


def test_openai_chinese_narrative_must_name_the_stance_in_chinese(
    openai_server, openai_config, results, context, events
):
    quant = results["technical"]
    openai_server.reply(opinion(quant, narrative="技术面：收盘价高于20日均线，MACD 柱为正，整体看多。"))

    out = refine(dataclasses.replace(openai_config, language="zh"), quant, context, results, events)

    assert out.fallback is False and "整体看多" in out.summary
    system = openai_server.requests[0]["body"]["messages"][0]["content"]
    assert "技术分析师" in system and "看多" in system
