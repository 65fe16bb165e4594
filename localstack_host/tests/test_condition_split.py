"""``Fn::Split`` in a condition, resolved around a resolver that knows Ref and Join but not Split (as
LocalStack 4.14's legacy engine does; the engine itself runs in `make test-localstack`)."""

from __future__ import annotations

import pytest
from localstack_host.condition_split import with_split


def _engine(account_id, region_name, condition, conditions, parameters, mappings, stack_name):
    """The engine's resolver as far as this template needs it, calling itself through ``resolve``."""
    if not isinstance(condition, dict):
        return condition
    [(name, value)] = condition.items()
    if name == "Ref":
        return parameters[value]
    if name == "Fn::Join":
        items = resolve(account_id, region_name, value[1], conditions, parameters, mappings, stack_name)
        return value[0].join(resolve(account_id, region_name, x, conditions, parameters, mappings, stack_name)
                             for x in items)  # fmt: skip
    if name == "Fn::Equals":
        left, right = (resolve(account_id, region_name, x, conditions, parameters, mappings, stack_name) for x in value)
        return left == right
    raise Exception(f"Invalid condition structure encountered: {condition=}")  # the engine's own refusal


resolve = with_split(_engine)
USES_BEDROCK = {"Fn::Equals": [{"Fn::Join": ["", {"Fn::Split": ["bedrock", {"Ref": "LlmAgents"}]}]},
                               {"Ref": "LlmAgents"}]}  # fmt: skip
"""The template's test: true when ``LlmAgents`` does NOT name bedrock (the template negates it)."""


@pytest.mark.parametrize(
    ("agents", "names_bedrock"),
    [("", False), ("macro=none", False), ("investment_gm=bedrock", True), ("a=openai,b=bedrock:m", True)],
)
def test_a_split_in_a_condition_resolves_as_cloudformation_does(agents, names_bedrock):
    assert resolve("1", "us-east-1", USES_BEDROCK, {}, {"LlmAgents": agents}, {}, "s") is (not names_bedrock)


def test_without_it_the_engine_refuses_the_condition():
    with pytest.raises(Exception, match="Invalid condition structure"):
        _engine("1", "us-east-1", {"Fn::Split": [",", "a,b"]}, {}, {}, {}, "s")
