"""Lambda's Invoke API answered by the embedded runtime's in-process functions.

moto runs Lambda functions in Docker containers, and there is no Docker engine here. This
replaces ``LambdaResponse.invoke`` with a call to the attached :data:`Invoker` (the runtime's
``LocalLambda.invoke_http``), which answers as Lambda's Invoke API does: the status, the headers
(``x-amz-function-error`` on a function error, whose body is ``{"errorType", "errorMessage"}``
so that Step Functions' ``Retry`` and ``Catch`` match ``errorType``; ``x-amzn-ErrorType`` on an API
error such as a throttle) and the body.

Written against moto 5.2.5.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from .internals import Internal, SetAttr, check

WRITTEN_AGAINST = "moto 5.2.5"
RELIES_ON = (
    # Dispatched by name (call_action looks the action up on the class), so replacing it is enough.
    Internal("moto.awslambda.responses", "LambdaResponse.invoke", params=("self",)),
    Internal("moto.core.responses", "BaseResponse.call_action", source=("getattr(self, action)",)),
    # moto takes an action's HTTP status from its headers' "status", not from the tuple.
    Internal("moto.core.responses", "BaseResponse._transform_response", source=('new_headers.get("status", 200)',)),
)

Invoker = Callable[[str, bytes], tuple[int, dict[str, str], bytes]]
"""(function name, payload) → (HTTP status, response headers, response body), as Lambda's Invoke answers."""

_invoker: Invoker | None = None


def attach(invoker: Invoker | None) -> None:
    """Route Invoke to ``invoker`` (None: answer that no function runtime is attached)."""
    global _invoker
    _invoker = invoker


def function_name(path: str) -> str:
    """``…/functions/<name or ARN[:qualifier]>/invocations`` → the function's name."""
    target = unquote(path.rstrip("/").rsplit("/", 2)[-2])
    if target.startswith("arn:"):
        return target.split(":")[6]
    return target.split(":")[0]


def in_process(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def invoke(self: Any) -> tuple[int, dict[str, str], bytes]:
        if _invoker is None:
            return (
                404,
                {"x-amzn-ErrorType": "ResourceNotFoundException"},
                b'{"Message": "no function runtime attached"}',
            )
        body = self.body if isinstance(self.body, bytes) else (self.body or "").encode()
        status, headers, payload = _invoker(function_name(self.path), body)
        return status, {**headers, "status": str(status)}, payload

    return invoke


def apply(set_attr: SetAttr = setattr) -> None:
    check(__name__, WRITTEN_AGAINST, RELIES_ON)
    from moto.awslambda.responses import LambdaResponse

    set_attr(LambdaResponse, "invoke", in_process(LambdaResponse.invoke))
