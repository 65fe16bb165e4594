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

# What every agent may reach, and no more (docs/security.md, Least privilege): the event log (the head's
# GetItem/UpdateItem in TasksTable, the events' PutItem/Query), the market-data cache and the tushare token;
# the LLM key's parameter only when a provider is openai, Bedrock only when one is bedrock.
_AGENT_POLICIES = """\
- Statement:
    - Sid: EventLogHead  # the log's head item in TasksTable: read, then advanced in each append's transaction
      Effect: Allow
      Action: [dynamodb:GetItem, dynamodb:UpdateItem]
      Resource: !GetAtt TasksTable.Arn
    - Sid: EventLogEvents  # the events: conditional puts in the append's transaction, read in seq order
      Effect: Allow
      Action: [dynamodb:PutItem, dynamodb:Query]
      Resource: !GetAtt EventsTable.Arn
    - Sid: MarketCache  # market/cache_dynamodb.py: read a part (and its chunks), write a fetched one
      Effect: Allow
      Action: [dynamodb:GetItem, dynamodb:BatchGetItem, dynamodb:PutItem]
      Resource: !GetAtt MarketCacheTable.Arn
    - Sid: TushareToken  # read only when tushare is in DataProviders
      Effect: Allow
      Action: ssm:GetParameter
      Resource: !Sub "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${TushareTokenParameter}"
- !If
  - UsesOpenAI
  - Statement:  # the OpenAI-compatible endpoint's key, read once per cold start (adapters/secrets.py)
      - Sid: LlmApiKey
        Effect: Allow
        Action: ssm:GetParameter
        Resource: !Sub "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${LlmApiKeyParameter}"
  - !Ref AWS::NoValue
- !If
  - UsesBedrock
  - Statement:  # the LLM step on Bedrock (Converse)
      - Sid: Bedrock
        Effect: Allow
        Action: bedrock:InvokeModel
        Resource:
          - !Sub "arn:${AWS::Partition}:bedrock:*::foundation-model/*"
          - !Sub "arn:${AWS::Partition}:bedrock:*:${AWS::AccountId}:inference-profile/*"
  - !Ref AWS::NoValue
""".splitlines()

# checkov's findings that do not apply to an agent, each with its reason (docs/security.md lists them).
_AGENT_CHECKOV_SKIPS = """\
- {id: CKV_AWS_116, comment: "invoked synchronously by the state machine, whose Retry and Catch handle a failure"}
- {id: CKV_AWS_115, comment: "one run per execution, whose starts MaxConcurrentStarts paces; a reservation would idle"}
- {id: CKV_AWS_117, comment: "reaches only AWS APIs and the LLM/data endpoints: a VPC adds NAT cost, no control"}
- {id: CKV_AWS_173, comment: "its environment holds names, never a secret (those are in SSM, docs/security.md)"}
""".splitlines()


def _function(agent: AgentSpec) -> list[str]:
    description = f"{agent.title} (stage {agent.stage}) - {agent.role}"
    return [
        f"{agent.function_logical_id}:",
        "  Type: AWS::Serverless::Function",
        "  Metadata:",
        "    BuildMethod: makefile",
        "    ContextPath: .",
        "    WorkingDirectory: .",
        "    checkov:",
        "      skip:",
        *(f"        {line}" for line in _AGENT_CHECKOV_SKIPS),
        "  Properties:",
        f"    Description: {json.dumps(description)}",
        f"    Handler: {AGENT_HANDLER}",
        f"    Timeout: {agent.timeout_s}",
        f"    MemorySize: {agent.memory_mb}",
        "    Environment:",
        f"      Variables: {{AGENT_ID: {agent.agent_id}, INVESTMIND_LLM_API_KEY_PARAMETER: !Ref LlmApiKeyParameter}}",
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
