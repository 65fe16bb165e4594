"""The Bedrock provider through real botocore (a Stubber on a bedrock-runtime client): Converse with one tool."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import ANY, Stubber

from investmind.adapters.bedrock import BedrockConverse
from investmind.llm.base import LLMConfig
from investmind.llm.refine import Refiner
from investmind.llm.reply import reply_model
from investmind.llm.schema import output_schema

from .conftest import opinion

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"


def converse_response(tool_input=None, *, text=None, tokens=(1400, 350), latency_ms=1234, tool_id="tooluse_1"):
    """A Converse response as Bedrock sends it: a toolUse block (or only text), usage and metrics."""
    content = []
    if text is not None:
        content.append({"text": text})
    if tool_input is not None:
        content.append({"toolUse": {"toolUseId": tool_id, "name": "technical_reply", "input": tool_input}})
    return {
        "output": {"message": {"role": "assistant", "content": content}},
        "stopReason": "tool_use" if tool_input is not None else "end_turn",
        "usage": {"inputTokens": tokens[0], "outputTokens": tokens[1], "totalTokens": sum(tokens)},
        "metrics": {"latencyMs": latency_ms},
    }


@pytest.fixture
def bedrock():
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def refiner(client, **config) -> Refiner:
    settings = LLMConfig(provider="bedrock", model=MODEL, backoff_s=0.01, max_backoff_s=0.02, **config)
    return Refiner(BedrockConverse(MODEL, client=client), settings)


def test_bedrock_tool_use_reply_becomes_the_result_with_provider_usage(bedrock, results, context, events):
    client, stubber = bedrock
    quant = results["technical"]
    expected = {
        "modelId": MODEL,
        "system": [{"text": ANY}],
        "messages": [{"role": "user", "content": [{"text": ANY}]}],
        "inferenceConfig": {"maxTokens": 1500, "temperature": 0.2},
        "toolConfig": {
            "tools": [
                {
                    "toolSpec": {
                        "name": "technical_reply",
                        "description": ANY,
                        "inputSchema": {"json": output_schema(reply_model("technical"))},
                    }
                }
            ],
            "toolChoice": {"any": {}},
        },
    }
    stubber.add_response("converse", converse_response(opinion(quant, shift=3)), expected)

    out = refiner(client)(quant, context, results, events)

    assert out.provider == f"bedrock:{MODEL}" and out.fallback is False
    assert out.score == pytest.approx(min(100, quant.score + 3), abs=0.05)
    usage = out.usage
    assert (usage.llm_calls, usage.tokens_in, usage.tokens_out, usage.latency_ms) == (1, 1400, 350, 1234)
    # The cross-region profile is priced as the model: 0.80 / 4.00 USD per million tokens.
    assert out.usage.cost_usd == pytest.approx((1400 * 0.80 + 350 * 4.00) / 1e6)


def test_bedrock_throttled_then_answers_retries_with_a_log_event(bedrock, results, context, events):
    client, stubber = bedrock
    quant = results["technical"]
    stubber.add_client_error("converse", "ThrottlingException", "Too many requests", http_status_code=429)
    stubber.add_client_error("converse", "ModelTimeoutException", "Model timed out", http_status_code=408)
    stubber.add_response("converse", converse_response(opinion(quant)))

    out = refiner(client)(quant, context, results, events)

    assert out.fallback is False and out.usage.llm_calls == 3
    retries = [m for m in events.messages("warning") if "retry" in m]
    assert "call 1 failed (ThrottlingException (HTTP 429): Too many requests); retry 1/2" in retries[0]
    assert "call 2 failed (ModelTimeoutException (HTTP 408)" in retries[1]


def test_bedrock_invalid_tool_input_repaired_through_a_tool_result(bedrock, results, context, events):
    client, stubber = bedrock
    quant = results["technical"]
    bad = opinion(quant, confidence=0.01)
    stubber.add_response("converse", converse_response(bad, tool_id="tooluse_bad"))
    use = {"toolUseId": "tooluse_bad", "name": "technical_reply", "input": bad}
    rejection = {"toolUseId": "tooluse_bad", "content": [{"text": ANY}], "status": "error"}
    repair_messages = [
        {"role": "user", "content": [{"text": ANY}]},
        {"role": "assistant", "content": [{"toolUse": use}]},
        {"role": "user", "content": [{"toolResult": rejection}]},
    ]
    expected = {"modelId": MODEL, "system": ANY, "messages": repair_messages, "inferenceConfig": ANY, "toolConfig": ANY}
    stubber.add_response("converse", converse_response(opinion(quant), tokens=(1800, 300)), expected)

    out = refiner(client)(quant, context, results, events)

    assert out.fallback is False and out.confidence == quant.confidence
    assert (out.usage.llm_calls, out.usage.tokens_in) == (2, 3200)
    assert "confidence 0.01 moves more than 0.15" in events.messages("warning")[0]


def test_bedrock_text_instead_of_tool_twice_falls_back(bedrock, results, context, events):
    client, stubber = bedrock
    quant = results["technical"]
    stubber.add_response("converse", converse_response(text="I think the stock looks bullish."))
    stubber.add_response("converse", converse_response(text="Still bullish."))

    out = refiner(client)(quant, context, results, events)

    assert out.fallback is True and out.provider == "quant" and out.usage.llm_calls == 2
    assert "no tool call (stopReason end_turn)" in events.lines[-2][1]


def test_bedrock_validation_error_is_not_retried(bedrock, results, context, events):
    client, stubber = bedrock
    quant = results["technical"]
    stubber.add_client_error("converse", "ValidationException", "unsupported toolChoice", http_status_code=400)

    out = refiner(client)(quant, context, results, events)

    assert out.fallback is True
    assert "ValidationException (HTTP 400): unsupported toolChoice" in events.lines[-2][1]


def test_bedrock_model_without_a_price_costs_zero_and_warns(bedrock, results, context, events):
    client, stubber = bedrock
    quant = results["funds"]
    stubber.add_response("converse", converse_response(opinion(quant)))
    settings = LLMConfig(provider="bedrock", model="acme.unknown-v1:0")

    out = Refiner(BedrockConverse("acme.unknown-v1:0", client=client), settings)(quant, context, results, events)

    assert out.usage.cost_usd == 0 and out.usage.tokens_in == 1400
    assert "no price for acme.unknown-v1:0 in prices.json: cost counted as 0" in events.messages("warning")[-1]
