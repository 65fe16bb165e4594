"""The template, the state machine, the analyst registry and the roster agree (one roster; everything
else follows it)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from infra import agent_functions
from infra.asl import ASL_PATH, STATE_TIMEOUT_MARGIN_S, render, state_timeout
from infra.template import TEMPLATE_PATH, Template
from investmind.analysts import ANALYSTS, directors, manager
from investmind.analysts.signals import SIGNALS
from investmind.errors import TRANSIENT_ERROR_NAMES
from investmind.roster import AGENT_IDS, AGENTS, STAGES, get_agent

ASL = json.loads(ASL_PATH.read_text())
TEMPLATE = Template.load()


def _task_states(definition: dict) -> Iterator[tuple[str, dict]]:
    """Every Task state of a definition, inside its Parallel branches too."""
    for name, state in definition["States"].items():
        if state["Type"] == "Task":
            yield name, state
        for branch in state.get("Branches", []):
            yield from _task_states(branch)


def _invoked_function(state: dict) -> str:
    """Logical id of the function a Task state invokes, through the machine's DefinitionSubstitutions."""
    placeholder = re.fullmatch(r"\$\{(\w+)\}", state["Resource"])[1]
    substitution = TEMPLATE.resources["AnalysisStateMachine"]["Properties"]["DefinitionSubstitutions"][placeholder]
    return substitution["Fn::GetAtt"][0]


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
            assert task["TimeoutSeconds"] == state_timeout(agent.timeout_s)
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


def test_every_agent_has_exactly_one_function_with_its_id_memory_and_timeout():
    functions = TEMPLATE.of_type("AWS::Serverless::Function")
    agent_function_ids = {
        lid for lid, f in functions.items() if f["Properties"]["Handler"].endswith("handlers.agent.lambda_handler")
    }
    assert agent_function_ids == {a.function_logical_id for a in AGENTS}
    for agent in AGENTS:
        holders = [
            lid
            for lid in functions
            if TEMPLATE.function_properties(lid)["Environment"]["Variables"].get("AGENT_ID") == agent.agent_id
        ]
        assert holders == [agent.function_logical_id]
        props = TEMPLATE.function_properties(agent.function_logical_id)
        assert props["Environment"]["Variables"]["AGENT_ID"] == agent.agent_id
        assert (props["Timeout"], props["MemorySize"]) == (agent.timeout_s, agent.memory_mb), agent.agent_id


def test_template_agent_regions_match_roster_generation():
    text = TEMPLATE_PATH.read_text()
    assert agent_functions.render(text) == text, "run `make asl`: template.yaml's agent functions are stale"


def test_generation_follows_any_roster_and_refuses_a_template_without_its_regions(tmp_path):
    # GIVEN a roster of two agents, one of them with another memory and timeout
    roster = (get_agent("funds"), replace(get_agent("momentum_director"), timeout_s=42, memory_mb=768))
    # WHEN the template's regions are written from it
    path = tmp_path / "template.yaml"
    path.write_text(agent_functions.render(TEMPLATE_PATH.read_text(), roster))
    generated = Template.load(path)
    # THEN the template has those two agents' functions, ARNs and invoke permissions, and no others
    agents = {
        lid: generated.function_properties(lid)
        for lid, f in generated.of_type("AWS::Serverless::Function").items()
        if f["Properties"]["Handler"] == agent_functions.AGENT_HANDLER
    }
    assert {
        lid: (p["Timeout"], p["MemorySize"], p["Environment"]["Variables"]["AGENT_ID"]) for lid, p in agents.items()
    } == {
        "FundsAgentFunction": (roster[0].timeout_s, roster[0].memory_mb, "funds"),
        "MomentumDirectorAgentFunction": (42, 768, "momentum_director"),
    }
    machine = generated.resources["AnalysisStateMachine"]["Properties"]
    substituted = {v["Fn::GetAtt"][0] for v in machine["DefinitionSubstitutions"].values()}
    invoked = {p["LambdaInvokePolicy"]["FunctionName"]["Ref"] for p in machine["Policies"]}
    assert {lid for lid in substituted if lid.endswith("AgentFunction")} == set(agents)
    assert {lid for lid in invoked if lid.endswith("AgentFunction")} == set(agents)
    # AND rendering again changes nothing outside the regions: the full roster gives back the committed file
    assert agent_functions.render(path.read_text()) == TEMPLATE_PATH.read_text()
    # AND a template that lost a region's BEGIN, or has a region twice, is refused, naming the region
    text = TEMPLATE_PATH.read_text()
    without = text.replace(agent_functions.BEGIN + "agent-invoke-policies\n", "")
    with pytest.raises(agent_functions.RegionError, match="agent-invoke-policies: 0 regions, expected 1"):
        agent_functions.render(without)
    arns = re.search(
        rf"^ *{re.escape(agent_functions.BEGIN)}agent-function-arns\n.*?agent-function-arns\n", text, re.M | re.S
    )
    with pytest.raises(agent_functions.RegionError, match="agent-function-arns: 2 regions, expected 1"):
        agent_functions.render(text.replace(arns[0], arns[0] * 2))


def test_the_state_machine_may_invoke_exactly_the_functions_it_names():
    machine = TEMPLATE.resources["AnalysisStateMachine"]["Properties"]
    invoked = [p["LambdaInvokePolicy"]["FunctionName"]["Ref"] for p in machine["Policies"] if "LambdaInvokePolicy" in p]
    assert sorted(invoked) == sorted({_invoked_function(state) for _, state in _task_states(ASL)})


def test_every_task_state_outlasts_its_function_by_the_margin():
    # The Lambda must time out first (Sandbox.Timedout, then the state's Retry/Catch): a state that
    # times out while its function still runs records a failure the function may still contradict.
    assert STATE_TIMEOUT_MARGIN_S > 0
    checked = set()
    for name, state in _task_states(ASL):
        function = _invoked_function(state)
        function_timeout = TEMPLATE.function_properties(function)["Timeout"]
        assert "TimeoutSeconds" in state, f"{name} waits forever on {function}"
        assert state["TimeoutSeconds"] - function_timeout >= STATE_TIMEOUT_MARGIN_S, (name, function)
        checked.add(function)
    assert checked >= {a.function_logical_id for a in AGENTS} | {"PrepareFunction", "FinalizeFunction"}


def test_the_execution_outlasts_one_attempt_of_every_state_on_its_longest_path():
    # Else the execution would time out (unhandled) before a slow agent's own timeout were caught.
    def worst_s(definition: dict) -> int:
        own = sum(s.get("TimeoutSeconds", 0) for s in definition["States"].values() if s["Type"] == "Task")
        parallel = [s for s in definition["States"].values() if s["Type"] == "Parallel"]
        return own + sum(max(worst_s(branch) for branch in p["Branches"]) for p in parallel)

    assert worst_s(ASL) <= ASL["TimeoutSeconds"]


def test_the_analyst_registry_is_the_roster():
    assert tuple(ANALYSTS) == AGENT_IDS
    assert all(callable(analyst.run) for analyst in ANALYSTS.values())
    # signals.SIGNALS predates the registry and is kept for its callers: it may not drift from it.
    assert dict(SIGNALS) == {agent_id: analyst.signals for agent_id, analyst in ANALYSTS.items()}
    with pytest.raises(TypeError):
        ANALYSTS["extra"] = ANALYSTS["macro"]  # read-only: no caller adds an analyst behind the roster


def test_the_synthesising_agents_weigh_exactly_what_the_roster_says_they_read():
    for director, weights in directors.WEIGHTS.items():
        assert set(weights) == set(get_agent(director).reads), director
    gm = get_agent(manager.AGENT_ID)
    assert set(manager.WEIGHTS) == {a for a in gm.reads if get_agent(a).stage > 1}


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
    # ProgressFailuresQueue is the events stream's on-failure destination, not a start queue.
    main = {lid for lid in queues if not lid.endswith("DLQ") and lid != "ProgressFailuresQueue"}
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
