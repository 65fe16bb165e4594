"""Reads ``template.yaml`` (SAM) for the embedded runtime and the tests: resources, globals, intrinsics.

Only what the project's template uses is resolved (Ref, GetAtt, Sub, Join, Split, pseudo parameters, and Conditions:
Fn::Equals/Not/And/Or/If, a resource's or output's ``Condition``, ``AWS::NoValue``); anything else raises,
so a template change the runtime cannot honour fails loudly instead of silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    pass


def _construct(tag: str):
    key = tag if tag in ("Ref", "Condition") else f"Fn::{tag}"  # !Condition X is {"Condition": X}

    def build(loader: yaml.Loader, node: yaml.Node) -> dict:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {key: value}

    return build


for _tag in (
    "Ref",
    "GetAtt",
    "Sub",
    "Join",
    "Select",
    "Split",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "FindInMap",
    "ImportValue",
    "Base64",
    "GetAZs",
    "Condition",
):
    _CfnLoader.add_constructor(f"!{_tag}", _construct(_tag))


class _NoValue:
    """``!Ref AWS::NoValue``: the property (or list item) it stands for is removed."""

    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()
_CONDITION_FUNCTIONS = ("Fn::Equals", "Fn::Not", "Fn::And", "Fn::Or", "Condition")


def load_template(path: Path = TEMPLATE_PATH) -> dict:
    return yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


@dataclass
class Template:
    """The parsed template plus the values its intrinsics resolve to in one environment."""

    doc: dict
    stack_name: str = "investmind-local"
    region: str = "us-east-1"
    account_id: str = "123456789012"
    parameters: dict[str, str] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    """Logical id → what ``!Ref`` gives (table name, queue URL, function name, state machine ARN…)."""
    attrs: dict[tuple[str, str], str] = field(default_factory=dict)
    """(logical id, attribute) → what ``!GetAtt`` gives."""

    @classmethod
    def load(cls, path: Path = TEMPLATE_PATH, **kwargs: Any) -> Template:
        return cls(doc=load_template(path), **kwargs)

    @property
    def resources(self) -> dict[str, dict]:
        """Every resource the template declares, whatever its ``Condition``."""
        return self.doc["Resources"]

    @property
    def active_resources(self) -> dict[str, dict]:
        """The resources this environment's parameters create: those without a ``Condition`` or whose holds."""
        return {k: v for k, v in self.resources.items() if "Condition" not in v or self.condition(v["Condition"])}

    def of_type(self, resource_type: str) -> dict[str, dict]:
        """The active resources of one type."""
        return {k: v for k, v in self.active_resources.items() if v["Type"] == resource_type}

    def condition(self, name: str) -> bool:
        """The value of the template's condition ``name`` for these parameters."""
        conditions = self.doc.get("Conditions", {})
        if name not in conditions:
            raise KeyError(f"no condition {name!r} in the template")
        return self._holds(conditions[name])

    def _holds(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        if not isinstance(value, dict) or len(value) != 1:
            raise ValueError(f"not a condition: {value!r}")
        ((key, arg),) = value.items()
        if key == "Condition":
            return self.condition(arg)
        if key == "Fn::Equals":
            left, right = (self.resolve(v) for v in arg)
            return str(left) == str(right)
        if key == "Fn::Not":
            return not self._holds(arg[0])
        if key == "Fn::And":
            return all(self._holds(v) for v in arg)
        if key == "Fn::Or":
            return any(self._holds(v) for v in arg)
        raise ValueError(f"not a condition function: {key}")

    def parameter(self, name: str) -> str:
        if name in self.parameters:
            return self.parameters[name]
        return str(self.doc.get("Parameters", {})[name]["Default"])

    def pseudo(self, name: str) -> str:
        return {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account_id,
            "AWS::Partition": "aws",
            "AWS::StackName": self.stack_name,
            "AWS::URLSuffix": "amazonaws.com",
        }[name]

    def function_properties(self, logical_id: str) -> dict:
        """A function's properties with ``Globals.Function`` applied (environment variables merged)."""
        glob = self.doc.get("Globals", {}).get("Function", {})
        props = {**glob, **self.resources[logical_id]["Properties"]}
        env = {
            **glob.get("Environment", {}).get("Variables", {}),
            **self.resources[logical_id]["Properties"].get("Environment", {}).get("Variables", {}),
        }
        props["Environment"] = {"Variables": env}
        return props

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic inside ``value`` against this environment.

        ``Fn::If`` takes the branch its condition picks; a branch (or any value) that is ``AWS::NoValue``
        drops its key or list item, as CloudFormation does. ``value`` itself being one gives ``NO_VALUE``.
        """
        if isinstance(value, list):
            return [r for r in (self.resolve(v) for v in value) if r is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self._ref(arg)
            if key == "Fn::GetAtt":
                return self._getatt(*arg)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                separator, items = arg
                return str(separator).join(str(v) for v in self.resolve(items))
            if key == "Fn::Split":
                separator, text = arg
                return str(self.resolve(text)).split(separator)
            if key == "Fn::If":
                name, when_true, when_false = arg
                return self.resolve(when_true if self.condition(name) else when_false)
            if key in _CONDITION_FUNCTIONS:
                return self._holds(value)
            if key.startswith("Fn::"):
                raise NotImplementedError(f"the embedded runtime does not resolve {key}")
        resolved = {k: self.resolve(v) for k, v in value.items()}
        return {k: v for k, v in resolved.items() if v is not NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.doc.get("Parameters", {}):
            return self.parameter(name)
        return self.refs[name]

    def _getatt(self, logical_id: str, attribute: str) -> str:
        return self.attrs[(logical_id, attribute)]

    def _sub(self, arg: str | list) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.resolve(arg[1]))

        def one(match: re.Match) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith("AWS::"):
                return self._getatt(*name.split(".", 1))
            return self._ref(name)

        return re.sub(r"\$\{([^}!]+)\}", one, text)


def create_table_request(name: str, props: dict) -> dict:
    """``CreateTable`` arguments for an ``AWS::DynamoDB::Table``'s resolved properties."""
    request: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": props["AttributeDefinitions"],
        "KeySchema": props["KeySchema"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if "GlobalSecondaryIndexes" in props:
        request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if "StreamSpecification" in props:
        request["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
    return request
