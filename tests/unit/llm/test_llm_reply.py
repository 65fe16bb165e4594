"""The reply models and their bounds, the output schema, prices and the per-agent configuration."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from investmind import llm
from investmind.analysts.common import stance_for
from investmind.analysts.manager import action_for
from investmind.llm.pricing import parse_overrides, price_for
from investmind.llm.reply import InvalidReply, ManagerOpinion, Opinion, merge
from investmind.llm.schema import output_schema
from investmind.models import RATINGS_FOR_ACTION
from investmind.settings import Settings

from .conftest import opinion

ACTIONS = ("BUY", "HOLD", "SELL")


def _objects(node):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for value in node.values():
            yield from _objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from _objects(value)


@pytest.mark.parametrize("model", [Opinion, ManagerOpinion])
def test_output_schema_is_inlined_strict_and_fully_required(model) -> None:
    schema = output_schema(model)

    assert "$ref" not in str(schema) and "$defs" not in schema
    for node in _objects(schema):
        assert node["additionalProperties"] is False
        assert node["required"] == list(node["properties"])
    assert schema["properties"]["stance"]["enum"] == ["bullish", "neutral", "bearish"]
    assert schema["properties"]["score"] == {**schema["properties"]["score"], "minimum": -100, "maximum": 100}


def test_merge_recomputes_the_grade_from_the_adjusted_score(results) -> None:
    quant = results["fundamental_director"]  # bullish +15.6: grade B, 4.4 points under grade A
    assert (quant.signals["grade"], quant.stance.value) == ("B", "bullish")

    out = merge(quant, opinion(quant, shift=6), "en", "openai:m")

    assert (out.score, out.stance.value, out.signals["grade"]) == (quant.score + 6, "bullish", "A")
    assert out.signals["trend"] == quant.signals["trend"]


@pytest.mark.parametrize(("language", "stance_word", "label"), [("en", "bullish", "score"), ("zh", "看多", "评分")])
def test_merged_headline_is_in_the_runs_language(results, language, stance_word, label) -> None:
    quant = results["fundamental_director"]  # bullish
    reply = opinion(quant, shift=2, narrative=f"{stance_word}: the numbers computed above support this view.")

    out = merge(quant, reply, language, "openai:m")

    title = out.summary.split("\n\n", 1)[0]
    assert stance_word in title and label in title and f"{out.score:+.1f}" in title


def test_merge_rejects_unknown_fields_and_lists_every_problem(results) -> None:
    quant = results["technical"]
    with pytest.raises(InvalidReply, match="extra_field: Extra inputs are not permitted"):
        merge(quant, {**opinion(quant), "extra_field": 1}, "en", "openai:m")
    with pytest.raises(InvalidReply) as caught:
        merge(
            quant,
            opinion(quant, stance="bearish", score=-50, narrative="A long and detailed bearish story."),
            "en",
            "x",
        )
    assert "stance must stay bullish" in str(caught.value) and "moves more than 10" in str(caught.value)


def test_merge_narrative_without_the_stance_word_is_rejected(results) -> None:
    quant = results["technical"]
    with pytest.raises(InvalidReply, match=r"the narrative must name the stance \(bullish\)"):
        merge(quant, opinion(quant, narrative="The chart looks fine to us overall."), "en", "openai:m")


def test_merged_decision_never_contradicts_its_text(results) -> None:
    quant = results["investment_gm"]  # BUY (Overweight) at +45.0, position 33%
    accepted: list[str] = []

    @settings(max_examples=200, deadline=None)
    @given(
        shift=st.floats(-15, 15),
        action=st.sampled_from(("BUY", "BUY", "HOLD", "SELL")),
        rating=st.sampled_from(("Overweight", "Overweight", "Buy", "Hold", "Underweight", "Sell")),
        position=st.floats(0, 60),
        words=st.lists(st.sampled_from(("BUY", "HOLD", "SELL", "hold", "")), max_size=2),
    )
    def check(shift, action, rating, position, words) -> None:
        # GIVEN any reply an LLM might send for the manager, valid or not
        reply = opinion(quant, shift=shift)
        rationale = f"**{action} ({rating})**: score {quant.score + shift:+.1f}. " + " ".join(words)
        reply["decision"] |= {"action": action, "rating": rating, "position_pct": position, "rationale": rationale}
        reply["narrative"] = f"A bullish view: {action}. " + " ".join(words)
        # WHEN it is merged THEN it is refused, or action, rating, score and both texts all agree
        try:
            out = merge(quant, reply, "en", "openai:m")
        except InvalidReply:
            return
        accepted.append(out.decision.action)
        d = out.decision
        assert d.rating in RATINGS_FOR_ACTION[d.action] and action_for(out.score) == (d.action, d.rating)
        assert out.stance == stance_for(out.score) == quant.stance
        for text in (d.rationale, out.summary):
            assert d.action in text
            assert not [a for a in ACTIONS if a != d.action and re.search(rf"\b{a}\b", text)]
        assert d.position_pct <= quant.decision.position_pct

    check()
    assert accepted and set(accepted) == {"BUY"}  # the property held on accepted replies, not only on refusals


def test_price_table_strips_bedrock_region_prefixes_and_takes_overrides() -> None:
    assert price_for("gpt-4o-mini").cost(1_000_000, 1_000_000) == pytest.approx(0.75)
    assert price_for("eu.amazon.nova-lite-v1:0") == price_for("amazon.nova-lite-v1:0")
    assert price_for("my-local-model") is None
    overrides = parse_overrides(
        '{"my-local-model": {"input": 0, "output": 0}, "gpt-4o-mini": {"input": 1, "output": 2}}'
    )
    assert price_for("my-local-model", overrides).cost(10, 10) == 0
    assert price_for("gpt-4o-mini", overrides).cost(1_000_000, 0) == 1


def test_settings_per_agent_override_and_config(monkeypatch) -> None:
    s = Settings(
        llm_provider="bedrock",
        llm_model="amazon.nova-lite-v1:0",
        llm_agents="investment_gm=openai:deepseek-chat, macro=none",
        llm_base_url="https://api.deepseek.com/v1",
        llm_language="zh",
        llm_prices='{"deepseek-chat": {"input": 0.3, "output": 0.5}}',
    )

    assert llm.config_for(s, "macro") is None
    technical = llm.config_for(s, "technical")
    assert (technical.provider, technical.model, technical.label) == (
        "bedrock",
        "amazon.nova-lite-v1:0",
        technical.label,
    )
    manager = llm.config_for(s, "investment_gm")
    assert (manager.label, manager.language, manager.prices) == (
        "openai:deepseek-chat",
        "zh",
        (("deepseek-chat", 0.3, 0.5),),
    )
    assert llm.config_for(Settings(), "technical") is None  # the default: the quant core alone


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"llm_provider": "openai", "llm_model": "m"}, "needs INVESTMIND_LLM_BASE_URL"),
        ({"llm_provider": "bedrock"}, "needs a model"),
        ({"llm_agents": "nobody=openai:m"}, "is not agent=none|bedrock|openai"),
        ({"llm_agents": "macro=claude"}, "is not agent=none|bedrock|openai"),
    ],
)
def test_settings_bad_llm_configuration_fails_fast(fields, message) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**fields)
