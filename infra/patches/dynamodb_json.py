"""DynamoDB's item-bearing answers written as JSON directly, not through moto's response serializer.

moto 5.2 serializes every response by walking botocore's output shape attribute by attribute
(``moto.core.serialize``). For DynamoDB's data calls the result already is the wire form (items as
``{"S": ...}`` maps), and that walk took 45% of the embedded runtime's CPU samples under the 50 x 4
load run (py-spy, docs/performance.md): the SSE readers' and the read path's Queries and
BatchGetItems carry whole events. DynamoDB's protocol is plain JSON 1.0, so for the calls listed
here the result is dumped as it is, with the one conversion the serializer would make in these
results: binary values (``B``/``BS``, raw bytes after moto's ``dynamo_to_dict``) to base64. Every
other call, and every error, still goes through moto's serializer.
``tests/unit/infra/test_patches.py`` compares both paths' answers call by call.

Written against moto 5.2.5.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from .internals import Internal, SetAttr, check

WRITTEN_AGAINST = "moto 5.2.5"
RELIES_ON = (
    Internal("moto.core.responses", "BaseResponse.serialized", params=("self", "action_result")),
    Internal("moto.core.responses", "BaseResponse.call_action", source=("self.serialized(response)",)),
    Internal("moto.dynamodb.responses", "DynamoResult.__init__", source=("dynamo_to_dict(result)",)),
    Internal("moto.dynamodb.responses", "DynamoHandler._get_action"),
)
ITEM_CALLS = frozenset(
    {"GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem", "TransactGetItems"}
)
"""Calls whose results hold items, keys, counts and consumed capacity only (no timestamps)."""
CONTENT_TYPE = "application/x-amz-json-1.0"


def _wire(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"{type(value).__name__} in a DynamoDB item result")


def direct(serialized: Any) -> Any:
    from moto.dynamodb.responses import DynamoResult

    def serialize(self: Any, action_result: Any) -> Any:
        if type(action_result) is not DynamoResult or self._get_action() not in ITEM_CALLS:
            return serialized(self, action_result)
        body = json.dumps(action_result.result, default=_wire, separators=(",", ":"))
        return 200, {"Content-Type": CONTENT_TYPE, **self.response_headers}, body

    return serialize


def apply(set_attr: SetAttr = setattr) -> None:
    check(__name__, WRITTEN_AGAINST, RELIES_ON)
    from moto.core.responses import BaseResponse
    from moto.dynamodb.responses import DynamoHandler

    set_attr(DynamoHandler, "serialized", direct(BaseResponse.serialized))
