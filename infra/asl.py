"""Builds ``orchestration/analysis.asl.json`` from the roster (``python -m infra.asl`` rewrites it, and the
template's agent functions with it: ``infra/agent_functions.py``).

The state machine is derived, not hand-kept: one branch per agent, one Parallel per stage, and every
Task state's timeout a margin above its function's (the roster's for the agents, the template's for
the others). A unit test fails when the committed file and the roster drift apart.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from investmind.errors import TRANSIENT_ERROR_NAMES
from investmind.roster import STAGES, AgentSpec

from . import agent_functions
from .template import Template

ASL_PATH = Path(__file__).resolve().parent.parent / "orchestration" / "analysis.asl.json"

# Lambda's own transient faults, plus ours. Never States.TaskFailed: that would retry bugs too.
TRANSIENT_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    *TRANSIENT_ERROR_NAMES,
]
RETRY = {
    "ErrorEquals": TRANSIENT_ERRORS,
    "IntervalSeconds": 1,
    "MaxAttempts": 2,
    "BackoffRate": 2.0,
    "JitterStrategy": "FULL",
}
TO_FAIL_TASK = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "FailTask"}]
EXECUTION_TIMEOUT_S = 1800
STATE_TIMEOUT_MARGIN_S = 15
"""How much longer a Task state waits than its Lambda's timeout. The function must time out first, so
that the state's Retry/Catch handle its ``Sandbox.Timedout``: a state that timed out first would record
the agent failed while its Lambda still ran (and could still append ``agent_completed``). The margin
covers the invoke's round trip and a cold start's init phase (up to 10 s, not counted in the timeout)."""


def state_timeout(function_timeout_s: int) -> int:
    """TimeoutSeconds of a Task state invoking a function with this timeout."""
    return function_timeout_s + STATE_TIMEOUT_MARGIN_S


def _agent_branch(agent: AgentSpec, agent_failed_timeout_s: int) -> dict:
    failed = f"{agent.state_name}Failed"
    return {
        "StartAt": agent.state_name,
        "States": {
            agent.state_name: {
                "Type": "Task",
                "Comment": agent.title,
                "Resource": f"${{{agent.function_logical_id}Arn}}",
                "TimeoutSeconds": state_timeout(agent.timeout_s),
                "Retry": [RETRY],
                # A broken agent degrades the analysis instead of killing it.
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": failed}],
                "End": True,
            },
            failed: {
                "Type": "Task",
                "Comment": f"records {agent.agent_id} as failed (agent_failed event) and returns its failed result",
                "Resource": "${AgentFailedFunctionArn}",
                "Parameters": {"agent_id": agent.agent_id, "state.$": "$", "error.$": "$.error"},
                "TimeoutSeconds": agent_failed_timeout_s,
                "Retry": [RETRY],
                "End": True,
            },
        },
    }


def build_definition(template: Template | None = None) -> dict:
    """The definition; the timeouts of the functions outside the roster are read from ``template``."""
    template = template or Template.load()

    def timeout_of(logical_id: str) -> int:
        return state_timeout(int(template.function_properties(logical_id)["Timeout"]))

    agent_failed_timeout_s = timeout_of("AgentFailedFunction")
    states: dict[str, dict] = {
        "PrepareData": {
            "Type": "Task",
            "Comment": "resolves the symbol and as_of against the data; writes task_started and stage_started 1",
            "Resource": "${PrepareFunctionArn}",
            "TimeoutSeconds": timeout_of("PrepareFunction"),
            "Retry": [RETRY],
            "Catch": TO_FAIL_TASK,
            "Next": "Stage1",
        }
    }
    stage_numbers = sorted(STAGES)
    for stage in stage_numbers:
        nxt = f"Stage{stage + 1}" if stage + 1 in STAGES else "Finalize"
        states[f"Stage{stage}"] = {
            "Type": "Parallel",
            "Branches": [_agent_branch(agent, agent_failed_timeout_s) for agent in STAGES[stage]],
            "ResultPath": f"$.stage{stage}",
            "Catch": TO_FAIL_TASK,
            "Next": nxt,
        }
    states["Finalize"] = {
        "Type": "Task",
        "Comment": "writes stage_completed, the decision and task_completed",
        "Resource": "${FinalizeFunctionArn}",
        "TimeoutSeconds": timeout_of("FinalizeFunction"),
        "Retry": [RETRY],
        "Catch": TO_FAIL_TASK,
        "End": True,
    }
    states["FailTask"] = {
        "Type": "Task",
        "Comment": "writes task_failed with the reason, so no task stays RUNNING",
        "Resource": "${TaskFailedFunctionArn}",
        "Parameters": {"task_id.$": "$$.Execution.Name", "error.$": "$.error"},
        "TimeoutSeconds": timeout_of("TaskFailedFunction"),
        "Retry": [RETRY],
        "Next": "FailureRecorded",
    }
    # A handled failure ends the execution SUCCEEDED: the task's own status is in its log (task_failed).
    # The execution-ended rule so sees only what the state machine could not handle (docs/architecture.md).
    states["FailureRecorded"] = {"Type": "Succeed", "Comment": "the task ended FAILED; its task_failed says why"}
    return {
        "Comment": "InvestMind analysis: PrepareData, four stages of agents in parallel, Finalize (generated by "
        "infra/asl.py from functions/investmind/roster.py)",
        "StartAt": "PrepareData",
        "TimeoutSeconds": EXECUTION_TIMEOUT_S,
        "States": states,
    }


def render() -> str:
    return json.dumps(build_definition(), indent=2, ensure_ascii=False) + "\n"


def with_dummy_arns(text: str) -> str:
    """The definition with every ``${…Arn}`` substitution filled, as a validator needs it."""
    return re.sub(r"\$\{(\w+)\}", lambda m: f"arn:aws:lambda:us-east-1:123456789012:function:{m[1]}", text)


def reference_errors(definition: dict, scope: str = "") -> list[str]:
    """Dangling or missing transitions, and unreachable states, in a definition and its branches."""
    states = definition.get("States", {})
    errors = [] if definition.get("StartAt") in states else [f"{scope}StartAt {definition.get('StartAt')!r}"]
    reachable, pending = set(), [definition.get("StartAt")]
    while pending:
        name = pending.pop()
        if name in reachable or name not in states:
            continue
        reachable.add(name)
        state = states[name]
        targets = [state.get("Next"), state.get("Default"), *(c.get("Next") for c in state.get("Catch", []))]
        targets += [c.get("Next") for c in state.get("Choices", [])]
        for target in filter(None, targets):
            if target not in states:
                errors.append(f"{scope}{name} → {target!r}: no such state")
            pending.append(target)
        ends = state.get("End") or state["Type"] in ("Succeed", "Fail", "Choice")
        if not ends and not state.get("Next"):
            errors.append(f"{scope}{name}: neither Next nor End")
        for index, branch in enumerate(state.get("Branches", [])):
            errors += reference_errors(branch, f"{scope}{name}[{index}].")
    errors += [f"{scope}{name}: unreachable" for name in states if name not in reachable]
    return errors


def check(path: Path = ASL_PATH) -> list[str]:
    """The state machine checked as a state-language document: cfn-lint's ASL schema (rule E3601, run on a
    throwaway template that inlines it), then the transitions between states."""
    definition = json.loads(with_dummy_arns(path.read_text()))
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "Machine": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {"RoleArn": "arn:aws:iam::123456789012:role/machine", "Definition": definition},
            }
        },
    }
    from cfnlint.api import lint

    errors = [f"{match.rule.id} {match.message}" for match in lint(json.dumps(template), regions=["us-east-1"])]
    return errors + reference_errors(definition)


if __name__ == "__main__":
    if sys.argv[1:] == ["check"]:
        problems = check()
        sys.stdout.write("\n".join(problems) + "\n" if problems else f"{ASL_PATH.name}: valid\n")
        sys.exit(1 if problems else 0)
    # The template's generated regions, then the state machine that invokes the functions they declare.
    changed = agent_functions.write()
    sys.stdout.write(f"{'wrote' if changed else 'unchanged:'} {agent_functions.TEMPLATE_PATH}\n")
    ASL_PATH.write_text(render())
    sys.stdout.write(f"wrote {ASL_PATH}\n")
