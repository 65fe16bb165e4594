"""Meter every AWS request the moto server serves, for the cost model (``infra/cost.py``).

moto keeps no account of the requests it serves. This wraps ``BaseResponse.call_action`` (every
service's request handling) to record the service, the action and the payload sizes in
:data:`infra.meter.meter`, which keeps them only while a benchmark records.

Apply it before :mod:`infra.patches.dynamodb_lock`: that patch wraps DynamoDB Streams'
inherited ``call_action`` and would otherwise wrap the unmetered one.

Written against moto 5.2.5.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..meter import meter
from .internals import Internal, SetAttr, check

WRITTEN_AGAINST = "moto 5.2.5"
RELIES_ON = (
    Internal("moto.core.responses", "BaseResponse.call_action", params=("self",)),
    # The request's raw bytes, its headers and its service, as setup_class records them.
    Internal(
        "moto.core.responses",
        "BaseResponse.setup_class",
        source=("self.raw_body = self.body", "self.headers"),
    ),
    Internal("moto.core.responses", "BaseResponse.__init__", source=("self.service_name = service_name",)),
)


def metered(call_action: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call_action)
    def wrapper(self: Any) -> Any:
        response = call_action(self)
        body = self.raw_body if isinstance(getattr(self, "raw_body", None), bytes) else b""
        payload = response[2] if isinstance(response, tuple) and len(response) == 3 else b""
        action = (self.headers.get("X-Amz-Target") or "").split(".")[-1]  # JSON-protocol services name it here
        meter.record(self.service_name or "", action, body, len(payload or b""))
        return response

    return wrapper


def apply(set_attr: SetAttr = setattr) -> None:
    check(__name__, WRITTEN_AGAINST, RELIES_ON)
    from moto.core.responses import BaseResponse

    set_attr(BaseResponse, "call_action", metered(BaseResponse.call_action))
