"""Name a failed Lambda Invoke in Step Functions as AWS does: ``Lambda.<error code>`` (the wrapper is
``investmind_emulation.sfn_fixes``, which LocalStack's Step Functions gets too; here, the internals it
relies on are checked first).

When Lambda's Invoke API itself fails (throttled: ``TooManyRequestsException``; a service
error), Step Functions reports the task's error as ``Lambda.TooManyRequestsException``,
``Lambda.ServiceException`` and so on, which is what a state machine's ``Retry`` names. moto's
``StateTaskLambda._from_error`` reports every such ``ClientError`` as the bare name
``Exception``, so no ``Retry`` on a Lambda error ever matches. This maps a ``ClientError`` to
``Lambda.<its code>`` with the API's message as the cause; every other error goes to moto's
own mapping.

Written against moto 5.2.5.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from investmind_emulation.sfn_fixes import Interpreter
from investmind_emulation.sfn_fixes import lambda_error_names as shared_lambda_error_names

from .internals import Internal, SetAttr, check

WRITTEN_AGAINST = "moto 5.2.5"
_TASK = "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task_lambda"
RELIES_ON = (
    Internal(
        _TASK,
        "StateTaskLambda._from_error",
        params=("self", "env", "ex"),
        source=("isinstance(ex, ClientError)", "CustomErrorName(error)"),
    ),
    Internal(
        "moto.stepfunctions.parser.asl.component.common.error_name.failure_event",
        "FailureEvent.__init__",
        params=("self", "env", "error_name", "event_type", "event_details"),
    ),
)


def lambda_error_names(original: Callable[..., Any]) -> Callable[..., Any]:
    interpreter = Interpreter.at(root="moto.stepfunctions.parser", api="moto.stepfunctions.parser.api")
    return shared_lambda_error_names(original, interpreter)


def apply(set_attr: SetAttr = setattr) -> None:
    check(__name__, WRITTEN_AGAINST, RELIES_ON)
    import importlib

    task = importlib.import_module(_TASK).StateTaskLambda
    set_attr(task, "_from_error", lambda_error_names(task._from_error))
