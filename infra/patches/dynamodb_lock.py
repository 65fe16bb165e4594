"""Serialise moto's DynamoDB and DynamoDB Streams request handling behind one lock.

moto's DynamoDB backend is not thread-safe: five threads appending events with
``TransactWriteItems`` crashed it (``RuntimeError: dictionary changed size during iteration``,
an HTTP 500) and lost writes. This wraps ``DynamoHandler.call_action`` and
``DynamoDBStreamsHandler.call_action`` (streams read the same tables' data) in :data:`LOCK`;
with it the same 5 × 20 concurrent appends come out 1..100 without a gap. SQS is not locked:
its long polls would stall every other request.

Written against moto 5.2.5.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from .internals import Internal, SetAttr, check

WRITTEN_AGAINST = "moto 5.2.5"
RELIES_ON = (
    Internal("moto.dynamodb.responses", "DynamoHandler.call_action", params=("self",)),
    Internal("moto.dynamodbstreams.responses", "DynamoDBStreamsHandler.call_action", params=("self",)),
)

LOCK = threading.RLock()
"""Held by every DynamoDB and DynamoDB Streams request the moto server handles."""


def locked(call_action: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call_action)
    def wrapper(self: Any) -> Any:
        with LOCK:
            return call_action(self)

    return wrapper


def apply(set_attr: SetAttr = setattr) -> None:
    check(__name__, WRITTEN_AGAINST, RELIES_ON)
    from moto.dynamodb.responses import DynamoHandler
    from moto.dynamodbstreams.responses import DynamoDBStreamsHandler

    set_attr(DynamoHandler, "call_action", locked(DynamoHandler.call_action))
    set_attr(DynamoDBStreamsHandler, "call_action", locked(DynamoDBStreamsHandler.call_action))
