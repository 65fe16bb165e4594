"""The embedded runtime's template reader evaluates Conditions as CloudFormation does: Fn::Equals/Not/And/Or,
a resource's or another condition's Condition, Fn::If and AWS::NoValue."""

from __future__ import annotations

import pytest

from infra.template import NO_VALUE, Template

WITHOUT_BEDROCK = {"Fn::Join": ["", {"Fn::Split": ["bedrock", {"Ref": "Agents"}]}]}


def _template(**parameters: str) -> Template:
    doc = {
        "Parameters": {
            "Issuer": {"Type": "String", "Default": ""},
            "Stage": {"Type": "String", "Default": "dev"},
            "Agents": {"Type": "String", "Default": ""},
        },
        "Conditions": {
            "OwnPool": {"Fn::Equals": [{"Ref": "Issuer"}, ""]},
            "IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]},
            "NotProd": {"Fn::Not": [{"Condition": "IsProd"}]},
            "OwnPoolInProd": {"Fn::And": [{"Condition": "OwnPool"}, {"Condition": "IsProd"}]},
            "OwnPoolOrProd": {"Fn::Or": [{"Condition": "OwnPool"}, {"Condition": "IsProd"}]},
            # "Agents mentions bedrock", the way template.yaml says it (no Fn::Contains in CloudFormation)
            "MentionsBedrock": {"Fn::Not": [{"Fn::Equals": [WITHOUT_BEDROCK, {"Ref": "Agents"}]}]},
        },
        "Resources": {
            "Pool": {"Type": "AWS::Cognito::UserPool", "Condition": "OwnPool", "Properties": {}},
            "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
            "ProdTable": {"Type": "AWS::DynamoDB::Table", "Condition": "IsProd", "Properties": {}},
        },
    }
    return Template(doc=doc, parameters=parameters)


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({}, {"OwnPool": True, "IsProd": False, "NotProd": True, "OwnPoolInProd": False, "OwnPoolOrProd": True}),
        ({"Stage": "prod"}, {"OwnPool": True, "IsProd": True, "NotProd": False, "OwnPoolInProd": True}),
        ({"Issuer": "https://id.example"}, {"OwnPool": False, "OwnPoolInProd": False, "OwnPoolOrProd": False}),
        ({"Issuer": "https://id.example", "Stage": "prod"}, {"OwnPool": False, "OwnPoolOrProd": True}),
    ],
)
def test_conditions_follow_the_parameters(parameters, expected):
    template = _template(**parameters)
    assert {name: template.condition(name) for name in expected} == expected


@pytest.mark.parametrize(
    ("agents", "mentions"),
    [("", False), ("macro=none", False), ("investment_gm=bedrock", True), ("macro=openai:m,funds=bedrock:x", True)],
)
def test_join_and_split_let_a_condition_ask_whether_a_list_mentions_a_word(agents, mentions):
    assert _template(Agents=agents).condition("MentionsBedrock") is mentions


def test_resources_whose_condition_is_false_are_not_active():
    assert set(_template().active_resources) == {"Pool", "Table"}
    assert set(_template(Stage="prod").of_type("AWS::DynamoDB::Table")) == {"Table", "ProdTable"}
    assert set(_template(Issuer="https://id.example").active_resources) == {"Table"}
    # every declared resource stays readable, whatever its condition
    assert set(_template(Issuer="https://id.example").resources) == {"Pool", "Table", "ProdTable"}


def test_fn_if_takes_its_branch_and_no_value_removes_the_key_or_item():
    template = _template(Stage="prod")
    value = {
        "Tier": {"Fn::If": ["IsProd", "gold", "bronze"]},
        "Reserved": {"Fn::If": ["NotProd", 5, {"Ref": "AWS::NoValue"}]},
        "Policies": [
            {"Statement": "always"},
            {"Fn::If": ["OwnPool", {"Statement": "pool"}, {"Ref": "AWS::NoValue"}]},
            {"Fn::If": ["NotProd", {"Statement": "dev only"}, {"Ref": "AWS::NoValue"}]},
        ],
    }
    assert template.resolve(value) == {"Tier": "gold", "Policies": [{"Statement": "always"}, {"Statement": "pool"}]}
    assert _template().resolve(value)["Tier"] == "bronze" and _template().resolve(value)["Reserved"] == 5
    assert template.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE


def test_an_unknown_condition_or_function_fails_loudly():
    with pytest.raises(KeyError, match="no condition 'Missing'"):
        _template().resolve({"Fn::If": ["Missing", 1, 2]})
    with pytest.raises(NotImplementedError, match="Fn::FindInMap"):
        _template().resolve({"Fn::FindInMap": ["M", "a", "b"]})
    with pytest.raises(ValueError, match="not a condition function"):
        Template(doc={"Conditions": {"Odd": {"Fn::Join": ["", []]}}}).condition("Odd")


def test_the_project_template_makes_its_user_pool_unless_an_issuer_is_named():
    default = Template.load()
    assert default.condition("CreateUserPool")
    assert {"UserPool", "UserPoolClient", "UserPoolDomain"} <= set(default.active_resources)
    named = Template.load(parameters={"JwtIssuer": "https://id.example", "JwtAudience": "client-1"})
    assert not named.condition("CreateUserPool")
    assert not {"UserPool", "UserPoolClient", "UserPoolDomain"} & set(named.active_resources)
    env = named.resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    resolved = named.resolve({k: env[k] for k in ("INVESTMIND_JWT_ISSUER", "INVESTMIND_JWT_AUDIENCE")})
    assert resolved == {"INVESTMIND_JWT_ISSUER": "https://id.example", "INVESTMIND_JWT_AUDIENCE": "client-1"}
    # by default the issuer is the stack's own pool, and the audience its app client
    default.refs.update({"UserPool": "us-east-1_Pool1", "UserPoolClient": "client-of-pool"})
    assert (
        default.resolve(env["INVESTMIND_JWT_ISSUER"]) == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Pool1"
    )
    assert default.resolve(env["INVESTMIND_JWT_AUDIENCE"]) == "client-of-pool"


def test_jwt_issuer_none_means_api_keys_only_and_no_user_pool():
    keys_only = Template.load(parameters={"JwtIssuer": "none"})
    assert not keys_only.condition("CreateUserPool") and keys_only.condition("ApiKeysOnly")
    env = keys_only.resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert (
        keys_only.resolve(env["INVESTMIND_JWT_ISSUER"]) == ""
        and keys_only.resolve(env["INVESTMIND_JWT_AUDIENCE"]) == ""
    )


def test_a_condition_written_with_the_condition_tag_in_yaml_is_evaluated():
    # template.yaml's HasConsoleCallback is !And [!Condition CreateUserPool, ...]
    assert not Template.load().condition("HasConsoleCallback")
    assert Template.load(parameters={"ConsoleCallbackUrl": "https://console.example/"}).condition("HasConsoleCallback")
    named = {"ConsoleCallbackUrl": "https://console.example/", "JwtIssuer": "https://id.example"}
    assert not Template.load(parameters=named).condition("HasConsoleCallback")
