"""``Fn::Split`` inside a condition, for LocalStack's legacy CloudFormation engine (``engine-legacy-host``).

CloudFormation resolves ``Fn::Split`` (with ``Fn::Join`` and ``Fn::Select``) inside ``Fn::Equals``; the
template uses it to grant Bedrock or the LLM key only when a provider named in ``LlmAgents`` needs
them (``!Equals [!Join ["", !Split [bedrock, !Ref LlmAgents]], !Ref LlmAgents]``: does the string hold
``bedrock``?). LocalStack 4.14's legacy engine resolves ``Fn::Join`` and ``Fn::Select`` there but not
``Fn::Split``, and fails the change set ("Invalid condition structure encountered"). This resolves a
``Fn::Split`` as CloudFormation does (its source resolved first, then split on the delimiter) and leaves
every other condition to the engine. The engine's resolver calls itself through its module's global
name, so a split nested in a join reaches this too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def with_split(resolve_condition: Callable[..., Any]) -> Callable[..., Any]:
    """Wraps ``template_utils.resolve_condition(account_id, region_name, condition, ...)``."""

    @functools.wraps(resolve_condition)
    def resolve(account_id: str, region_name: str, condition: Any, *rest: Any) -> Any:
        if isinstance(condition, dict) and list(condition) == ["Fn::Split"]:
            delimiter, source = condition["Fn::Split"]
            return str(resolve(account_id, region_name, source, *rest)).split(delimiter)
        return resolve_condition(account_id, region_name, condition, *rest)

    resolve.resolves_split = True  # type: ignore[attr-defined]
    return resolve


def patch() -> None:
    """Idempotent: LocalStack's condition resolver learns ``Fn::Split`` once."""
    from localstack.services.cloudformation.engine import template_utils

    if not getattr(template_utils.resolve_condition, "resolves_split", False):
        template_utils.resolve_condition = with_split(template_utils.resolve_condition)
