"""LocalStack's Step Functions names a failed Lambda Invoke ``Lambda.<error code>``, as AWS does
(``investmind_emulation.sfn_fixes``; the embedded runtime's moto gets the same fix). Seen here: a throttled
agent (``TooManyRequestsException`` from the Invoke API) was reported as ``Exception``, so the state
machine's ``Retry`` on ``Lambda.TooManyRequestsException`` never ran and the agent failed."""

from __future__ import annotations

from investmind_emulation.sfn_fixes import Interpreter, lambda_error_names


def patch() -> None:
    """Idempotent: wraps ``StateTaskLambda._from_error`` once."""
    from localstack.services.stepfunctions.asl.component.state.state_execution.state_task.state_task_lambda import (
        StateTaskLambda,
    )

    if getattr(StateTaskLambda._from_error, "names_lambda_errors", False):
        return
    interpreter = Interpreter.at(root="localstack.services.stepfunctions", api="localstack.aws.api.stepfunctions")
    StateTaskLambda._from_error = lambda_error_names(StateTaskLambda._from_error, interpreter)
