"""Writes the roster's agent functions into ``template.yaml`` (``python -m infra.asl`` rewrites it).

Three regions of the template are generated, each between a ``# BEGIN generated …: <region>`` and a
``# END generated: <region>`` comment: the agent functions, their ARNs in the state machine's
``DefinitionSubstitutions``, and the state machine's permission to invoke them. Everything outside
the regions is kept by hand. A unit test fails when the committed template and the roster drift apart.

Plain YAML is generated rather than ``AWS::LanguageExtensions`` ``Fn::ForEach``: LocalStack's legacy
CloudFormation engine and the embedded runtime's reader (``infra/template.py``) would both have to
expand it.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from investmind.roster import AGENTS, AgentSpec

from .template import TEMPLATE_PATH

AGENT_HANDLER = "investmind.handlers.agent.lambda_handler"
BEGIN = "# BEGIN generated from functions/investmind/roster.py by make asl: "
END = "# END generated: "
_REGION = re.compile(
    rf"^(?P<indent> *){re.escape(BEGIN)}(?P<name>[\w-]+)\n.*?^(?P=indent){re.escape(END)}(?P=name)\n",
    re.MULTILINE | re.DOTALL,
)

# What every agent may reach: the log, the market-data cache and its token, and Bedrock for the LLM step.
_AGENT_POLICIES = """\
- DynamoDBCrudPolicy: {TableName: !Ref TasksTable}
- DynamoDBCrudPolicy: {TableName: !Ref EventsTable}
- DynamoDBCrudPolicy: {TableName: !Ref MarketCacheTable}
- SSMParameterReadPolicy: {ParameterName: !Ref TushareTokenParameter}
- Statement:  # the LLM step on Bedrock (Converse), when LlmProvider or LlmAgents choose it
    - Effect: Allow
      Action: bedrock:InvokeModel
      Resource:
        - !Sub "arn:${AWS::Partition}:bedrock:*::foundation-model/*"
        - !Sub "arn:${AWS::Partition}:bedrock:*:${AWS::AccountId}:inference-profile/*"
""".splitlines()


def _function(agent: AgentSpec) -> list[str]:
    description = f"{agent.title} (stage {agent.stage}) - {agent.role}"
    return [
        f"{agent.function_logical_id}:",
        "  Type: AWS::Serverless::Function",
        "  Metadata: {BuildMethod: makefile, ContextPath: ., WorkingDirectory: .}",
        "  Properties:",
        f"    Description: {json.dumps(description)}",
        f"    Handler: {AGENT_HANDLER}",
        f"    Timeout: {agent.timeout_s}",
        f"    MemorySize: {agent.memory_mb}",
        f"    Environment: {{Variables: {{AGENT_ID: {agent.agent_id}}}}}",
        "    Policies:",
        *(f"      {line}" for line in _AGENT_POLICIES),
    ]


def _functions(agents: Iterable[AgentSpec]) -> list[str]:
    return [line for agent in agents for line in _function(agent)]


def _arns(agents: Iterable[AgentSpec]) -> list[str]:
    return [f"{a.function_logical_id}Arn: !GetAtt {a.function_logical_id}.Arn" for a in agents]


def _invoke_policies(agents: Iterable[AgentSpec]) -> list[str]:
    return [f"- LambdaInvokePolicy: {{FunctionName: !Ref {a.function_logical_id}}}" for a in agents]


REGIONS: dict[str, Callable[[Iterable[AgentSpec]], list[str]]] = {
    "agent-functions": _functions,
    "agent-function-arns": _arns,
    "agent-invoke-policies": _invoke_policies,
}
"""Region name → its lines (unindented) for a roster; each region is indented like its BEGIN comment."""


class RegionError(ValueError):
    """The template lacks a generated region, or has one twice."""


def render(text: str, agents: Iterable[AgentSpec] = AGENTS) -> str:
    """``text`` (a template) with every generated region rewritten from ``agents``."""
    agents = tuple(agents)
    found = [m["name"] for m in _REGION.finditer(text)]
    problems = [f"{name}: {found.count(name)} regions, expected 1" for name in REGIONS if found.count(name) != 1]
    problems += [f"{name}: no such generated region" for name in sorted(set(found) - set(REGIONS))]
    if problems:
        raise RegionError("template.yaml: " + "; ".join(problems))

    def region(match: re.Match) -> str:
        indent, name = match["indent"], match["name"]
        body = "".join(f"{indent}{line}\n" for line in REGIONS[name](agents))
        return f"{indent}{BEGIN}{name}\n{body}{indent}{END}{name}\n"

    return _REGION.sub(region, text)


def write(path: Path = TEMPLATE_PATH) -> bool:
    """Rewrite the template's generated regions; True when that changed the file."""
    before = path.read_text()
    after = render(before)
    if after != before:
        path.write_text(after)
    return after != before


if __name__ == "__main__":
    sys.stdout.write(f"{'wrote' if write() else 'unchanged:'} {TEMPLATE_PATH}\n")
