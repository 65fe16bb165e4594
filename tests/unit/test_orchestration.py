"""The template, the state machine and the roster agree (one roster; everything else follows it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from infra.asl import ASL_PATH, render
from infra.template import Template
from investmind.errors import TRANSIENT_ERROR_NAMES
from investmind.roster import AGENTS, STAGES

ASL = json.loads(ASL_PATH.read_text())
TEMPLATE = Template.load()


def test_asl_file_matches_roster_generation():
    assert ASL_PATH.read_text() == render(), "run `make asl`: orchestration/analysis.asl.json is stale"


def test_asl_has_one_parallel_stage_per_roster_stage_in_order():
    state = ASL["States"][ASL["StartAt"]]
    assert ASL["StartAt"] == "PrepareData"
    seen = []
    while "Next" in state:
        name = state["Next"]
        state = ASL["States"][name]
        seen.append(name)
    assert seen == [f"Stage{s}" for s in sorted(STAGES)] + ["Finalize"]
    for stage, agents in STAGES.items():
        branches = ASL["States"][f"Stage{stage}"]["Branches"]
        assert [b["StartAt"] for b in branches] == [a.state_name for a in agents]


def test_every_agent_state_retries_transient_errors_and_catches_into_a_failed_result():
    for stage, agents in STAGES.items():
        for branch, agent in zip(ASL["States"][f"Stage{stage}"]["Branches"], agents, strict=True):
            task = branch["States"][agent.state_name]
            assert task["Resource"] == f"${{{agent.function_logical_id}Arn}}"
            assert task["TimeoutSeconds"] == agent.timeout_s
            retry_errors = task["Retry"][0]["ErrorEquals"]
            assert set(TRANSIENT_ERROR_NAMES) <= set(retry_errors)
            assert "States.ALL" not in retry_errors and "States.TaskFailed" not in retry_errors
            assert task["Retry"][0]["JitterStrategy"] == "FULL"
            failed = branch["States"][task["Catch"][0]["Next"]]
            assert failed["Resource"] == "${AgentFailedFunctionArn}"
            assert failed["Parameters"]["agent_id"] == agent.agent_id


def test_every_placeholder_has_a_substitution_and_every_substitution_a_function():
    placeholders = set(re.findall(r"\$\{(\w+)\}", ASL_PATH.read_text()))
    machine = TEMPLATE.resources["AnalysisStateMachine"]["Properties"]
    substitutions = machine["DefinitionSubstitutions"]
    assert placeholders == set(substitutions)
    for key, value in substitutions.items():
        assert key.endswith("Arn") and value == {"Fn::GetAtt": [key.removesuffix("Arn"), "Arn"]}
    assert Path(machine["DefinitionUri"]) == Path("orchestration/analysis.asl.json")


def test_every_agent_has_its_own_function_with_its_id_and_timeout():
    functions = TEMPLATE.of_type("AWS::Serverless::Function")
    agent_functions = {
        lid for lid, f in functions.items() if f["Properties"]["Handler"].endswith("handlers.agent.lambda_handler")
    }
    assert agent_functions == {a.function_logical_id for a in AGENTS}
    for agent in AGENTS:
        props = TEMPLATE.function_properties(agent.function_logical_id)
        assert props["Environment"]["Variables"]["AGENT_ID"] == agent.agent_id
        assert props["Timeout"] >= agent.timeout_s


def test_functions_run_python313_on_arm64_and_handlers_exist():
    import importlib

    for logical_id in TEMPLATE.of_type("AWS::Serverless::Function"):
        props = TEMPLATE.function_properties(logical_id)
        assert props["Runtime"] == "python3.13" and props["Architectures"] == ["arm64"]
        module, attr = props["Handler"].rsplit(".", 1)
        assert module.startswith("investmind.handlers.")
        assert Path("functions", *module.split(".")).with_suffix(".py").exists(), props["Handler"]
        assert attr == "lambda_handler"
        assert importlib.util.find_spec(module) is not None


def test_queues_each_have_a_dlq_and_feed_the_starter_with_partial_failures():
    queues = TEMPLATE.of_type("AWS::SQS::Queue")
    main = {lid for lid in queues if not lid.endswith("DLQ")}
    assert main == {"HighQueue", "NormalQueue", "LowQueue"}
    for lid in main:
        dlq = queues[lid]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]
        assert dlq == {"Fn::GetAtt": [lid.replace("Queue", "DLQ"), "Arn"]}
    events = TEMPLATE.resources["StarterFunction"]["Properties"]["Events"].values()
    assert {e["Properties"]["Queue"]["Fn::GetAtt"][0] for e in events} == main
    assert all(e["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"] for e in events)


def test_outputs_name_what_tests_and_the_cli_look_up():
    outputs = TEMPLATE.doc["Outputs"]
    for key in (
        "ApiUrl",
        "TasksTableName",
        "EventsTableName",
        "AnalysisStateMachineArn",
        "HighQueueUrl",
        "NormalQueueUrl",
        "LowQueueUrl",
    ):
        assert outputs[key]["Description"]


def test_asl_check_passes_the_generated_machine_and_catches_broken_ones(tmp_path):
    from infra.asl import build_definition, check, reference_errors

    assert check() == []
    broken = build_definition()
    broken["States"]["PrepareData"]["Next"] = "Nowhere"
    assert "PrepareData → 'Nowhere': no such state" in reference_errors(broken)
    typo = build_definition()
    typo["States"]["Finalize"]["Retyr"] = []
    path = tmp_path / "typo.asl.json"
    path.write_text(json.dumps(typo))
    assert any("E3601" in line for line in check(path))
