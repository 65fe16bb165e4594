"""Least privilege and secrets in template.yaml: each function's policy is explicit statements with exact actions,
Bedrock and the LLM key only where (and when) a provider needs them, no secret in any environment."""

from __future__ import annotations

from typing import Any

import pytest

from infra.template import NO_VALUE, Template
from investmind.roster import AGENTS

TEMPLATE = Template.load()
AGENT_FUNCTIONS = {a.function_logical_id for a in AGENTS}
FUNCTIONS = set(TEMPLATE.of_type("AWS::Serverless::Function"))


def _with(**parameters: str) -> Template:
    """The template under other parameter values (its document parsed once)."""
    return Template(doc=TEMPLATE.doc, parameters=parameters)


def _policies(template: Template, logical_id: str) -> list[Any]:
    """A function's policies for ``template``'s parameters: Fn::If taken, AWS::NoValue dropped, the rest raw."""

    def pick(value: Any) -> Any:
        if isinstance(value, list):
            return [p for p in (pick(v) for v in value) if p is not NO_VALUE]
        if isinstance(value, dict) and set(value) == {"Fn::If"}:
            name, yes, no = value["Fn::If"]
            return pick(yes if template.condition(name) else no)
        if value == {"Ref": "AWS::NoValue"}:
            return NO_VALUE
        if isinstance(value, dict):
            return {k: pick(v) for k, v in value.items()}
        return value

    return pick(template.resources[logical_id]["Properties"].get("Policies", []))


def _statements(template: Template, logical_id: str) -> list[dict]:
    return [s for policy in _policies(template, logical_id) for s in policy["Statement"]]


def _actions(statement: dict) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _granted(template: Template, logical_id: str) -> set[str]:
    return {a for s in _statements(template, logical_id) for a in _actions(s)}


@pytest.mark.parametrize("logical_id", sorted(FUNCTIONS))
def test_every_function_policy_is_explicit_statements_without_wildcard_actions(logical_id):
    for llm in ({}, {"LlmProvider": "bedrock", "LlmModel": "m"}, {"LlmAgents": "macro=openai:m"}):
        template = _with(**llm)
        for policy in _policies(template, logical_id):
            # a SAM policy template (DynamoDBCrudPolicy, SQSSendMessagePolicy...) hides its actions: none allowed
            assert set(policy) == {"Statement"}, f"{logical_id}: {sorted(policy)} is not a plain statement list"
        for statement in _statements(template, logical_id):
            assert statement["Effect"] == "Allow" and statement["Resource"], (logical_id, statement)
            for action in _actions(statement):
                assert "*" not in action, f"{logical_id}: wildcard action {action}"
                assert not action.endswith("CrudPolicy"), f"{logical_id}: {action}"
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert "*" not in resources, f"{logical_id}: {statement.get('Sid')} on every resource"


def test_no_function_may_delete_scan_the_log_or_batch_write():
    for logical_id in FUNCTIONS:
        granted = _granted(TEMPLATE, logical_id)
        assert not granted & {"dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:DeleteTable"}, logical_id
        scans = [s for s in _statements(TEMPLATE, logical_id) if "dynamodb:Scan" in _actions(s)]
        # only the API, on KeysTable alone (an admin's list of every owner's keys)
        assert all(s["Resource"][0] == {"Fn::GetAtt": ["KeysTable", "Arn"]} for s in scans), logical_id
        assert not scans or logical_id == "ApiFunction"


def test_only_the_api_reaches_the_keys_and_the_start_queues_and_its_queries_name_the_index():
    for logical_id in FUNCTIONS - {"ApiFunction"}:
        resources = str([s["Resource"] for s in _statements(TEMPLATE, logical_id)])
        assert "KeysTable" not in resources, logical_id
        assert not any(q in resources for q in ("HighQueue", "NormalQueue", "LowQueue")), logical_id
    statements = {s["Sid"]: s for s in _statements(TEMPLATE, "ApiFunction")}
    for sid, table in (("Tasks", "TasksTable"), ("Keys", "KeysTable")):
        assert "dynamodb:Query" in _actions(statements[sid])
        assert {"Fn::Sub": f"${{{table}.Arn}}/index/by_owner"} in statements[sid]["Resource"]


@pytest.mark.parametrize(
    ("parameters", "bedrock", "openai"),
    [
        ({}, False, False),
        ({"LlmProvider": "bedrock", "LlmModel": "m"}, True, False),
        ({"LlmProvider": "openai", "LlmModel": "m", "LlmBaseUrl": "https://llm.example/v1"}, False, True),
        ({"LlmAgents": "investment_gm=bedrock:m"}, True, False),
        ({"LlmAgents": "macro=none,investment_gm=openai:m"}, False, True),
    ],
)
def test_bedrock_and_the_llm_key_only_for_agents_and_only_when_a_provider_uses_them(parameters, bedrock, openai):
    template = _with(**parameters)
    for logical_id in FUNCTIONS:
        statements = _statements(template, logical_id)
        invokes = any("bedrock:InvokeModel" in _actions(s) for s in statements)
        reads_key = any("LlmApiKeyParameter" in str(s["Resource"]) for s in statements)
        agent = logical_id in AGENT_FUNCTIONS
        assert invokes is (agent and bedrock), logical_id
        assert reads_key is (agent and openai), logical_id


def test_no_function_environment_holds_the_llm_key_only_the_agents_its_parameter_name():
    assert "LlmApiKey" not in TEMPLATE.doc["Parameters"]
    for logical_id in FUNCTIONS:
        env = TEMPLATE.function_properties(logical_id)["Environment"]["Variables"]
        assert "INVESTMIND_LLM_API_KEY" not in env and "INVESTMIND_TUSHARE_TOKEN" not in env, logical_id
        has_name = env.get("INVESTMIND_LLM_API_KEY_PARAMETER") == {"Ref": "LlmApiKeyParameter"}
        assert has_name is (logical_id in AGENT_FUNCTIONS), logical_id
    for name in ("LlmApiKeyParameter", "TushareTokenParameter"):
        assert "SecureString" in TEMPLATE.doc["Parameters"][name]["Description"]


def test_access_logs_pitr_and_a_dead_letter_for_every_asynchronous_invocation():
    api = TEMPLATE.resources["HttpApi"]["Properties"]["AccessLogSettings"]
    assert api["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    for forbidden in ("Authorization", "header", "querystring", "$context.identity.apiKey"):
        assert forbidden.lower() not in api["Format"].lower()
    for field in ("$context.requestId", "$context.status", "$context.routeKey", "$context.authorizer.claims.sub"):
        assert field in api["Format"]
    for table in ("TasksTable", "EventsTable", "KeysTable"):
        assert TEMPLATE.resources[table]["Properties"]["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }
    # EventBridge invokes asynchronously: its rule and the function's own retries both end in a DLQ
    for logical_id in FUNCTIONS:
        for event in TEMPLATE.resources[logical_id]["Properties"].get("Events", {}).values():
            if event["Type"] in ("EventBridgeRule", "Schedule", "ScheduleV2", "SNS", "S3"):
                props = TEMPLATE.resources[logical_id]["Properties"]
                assert "DeadLetterConfig" in event["Properties"], logical_id
                assert "DeadLetterQueue" in props or "OnFailure" in str(props.get("EventInvokeConfig")), logical_id


def test_api_reserved_concurrency_is_a_parameter_that_zero_turns_off():
    reserved = TEMPLATE.resources["ApiFunction"]["Properties"]["ReservedConcurrentExecutions"]
    no_value = {"Ref": "AWS::NoValue"}
    assert reserved == {"Fn::If": ["HasApiReservedConcurrency", {"Ref": "ApiReservedConcurrency"}, no_value]}
    assert _with(ApiReservedConcurrency="0").resolve(reserved) is NO_VALUE
    assert _with(ApiReservedConcurrency="40").resolve(reserved) == "40"


def test_every_checkov_skip_names_its_check_and_gives_a_reason():
    skips = [
        (lid, skip)
        for lid, resource in TEMPLATE.resources.items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for logical_id, skip in skips:
        assert skip["id"].startswith("CKV_") and len(skip["comment"]) > 20, (logical_id, skip)
