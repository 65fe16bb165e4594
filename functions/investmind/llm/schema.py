"""JSON Schema for structured output, generated from the pydantic reply models in the subset providers accept."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

# Strict structured-output modes reject keywords outside a common subset (string lengths among
# them); the pydantic model still enforces them when the reply is validated.
_DROPPED = frozenset({"title", "default", "minLength", "maxLength", "examples"})


def output_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON Schema with every ``$ref`` inlined, every property required and no extra properties.

    Optional fields stay required but nullable (``anyOf`` with ``null``), which is how strict modes
    express "may be absent".
    """
    raw = model.model_json_schema()
    defs = raw.pop("$defs", {})
    return _clean(raw, defs)


def _clean(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_clean(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = defs[node["$ref"].rsplit("/", 1)[-1]]
        return _clean({**target, **{k: v for k, v in node.items() if k != "$ref"}}, defs)
    out = {k: _clean(v, defs) for k, v in node.items() if k not in _DROPPED and k != "properties"}
    if "properties" in node:  # keys there are field names, not keywords: keep every one
        out["properties"] = {name: _clean(sub, defs) for name, sub in node["properties"].items()}
    if out.get("type") == "object" and "properties" in out:
        out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    return out
