"""Step Functions names a failed Lambda Invoke as AWS does, ``Lambda.<error code>``: a fix both emulations
apply to the Step Functions interpreter they run, moto 5.2.5's (``infra/patches/sfn_lambda_errors.py``) and
LocalStack 4.14's (``localstack_host/sfn_errors.py``). moto's interpreter is LocalStack's, vendored, so the
two share ``StateTaskLambda._from_error`` and its flaw; only the modules they live in differ, and each
caller passes its own classes.

When Lambda's Invoke API itself fails (throttled: ``TooManyRequestsException``; a service error), Step
Functions reports the task's error as ``Lambda.TooManyRequestsException``, ``Lambda.ServiceException`` and
so on, which is what a state machine's ``Retry`` names. Both interpreters report every such ``ClientError``
as the bare name ``Exception``, so no ``Retry`` on a Lambda error ever matches. The wrapper maps a
``ClientError`` to ``Lambda.<its code>`` with the API's message as the cause; every other error goes to the
interpreter's own mapping.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Interpreter:
    """The interpreter's classes the failure is built of."""

    failure_event: Any
    custom_error_name: Any
    event_details: Any
    failed_details: Any
    failed_event_type: Any

    @classmethod
    def at(cls, root: str, api: str) -> Interpreter:
        """The classes of the interpreter whose ``asl`` package is under ``root``, its API shapes in ``api``."""
        shapes = importlib.import_module(api)
        error_names = f"{root}.asl.component.common.error_name"
        return cls(
            failure_event=importlib.import_module(f"{error_names}.failure_event").FailureEvent,
            custom_error_name=importlib.import_module(f"{error_names}.custom_error_name").CustomErrorName,
            event_details=importlib.import_module(f"{root}.asl.eval.event.event_detail").EventDetails,
            failed_details=shapes.LambdaFunctionFailedEventDetails,
            failed_event_type=shapes.HistoryEventType.LambdaFunctionFailed,
        )


def lambda_error_names(original: Callable[..., Any], interpreter: Interpreter) -> Callable[..., Any]:
    """Wraps ``StateTaskLambda._from_error``."""
    from botocore.exceptions import ClientError

    @functools.wraps(original)
    def from_error(self: Any, env: Any, ex: Exception) -> Any:
        if not isinstance(ex, ClientError):
            return original(self, env, ex)
        error = f"Lambda.{ex.response['Error']['Code']}"
        cause = ex.response["Error"].get("Message") or error
        return interpreter.failure_event(
            env=env,
            error_name=interpreter.custom_error_name(error),
            event_type=interpreter.failed_event_type,
            event_details=interpreter.event_details(
                lambdaFunctionFailedEventDetails=interpreter.failed_details(error=error, cause=cause)
            ),
        )

    from_error.names_lambda_errors = True  # type: ignore[attr-defined]
    return from_error
