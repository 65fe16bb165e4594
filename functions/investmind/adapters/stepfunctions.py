"""Step Functions: start a task's execution (the starter, boto3) and stop it (the API's cancel, aiobotocore).

The execution is named after its task, so StartExecution is its own idempotency guard (invariant 3,
docs/architecture.md) and the execution of a task can be found from the task id alone.
"""

from __future__ import annotations

import logging
from typing import Any

from ..models import StartRequest

logger = logging.getLogger(__name__)

_MAX_CAUSE = 32_768
"""StopExecution's limit on ``cause``."""


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore/aiobotocore ``ClientError`` (duck-typed: no SDK import needed)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None


def execution_arn(state_machine_arn: str, task_id: str) -> str:
    """``arn:…:stateMachine:<name>`` → ``arn:…:execution:<name>:<task_id>``."""
    if ":stateMachine:" not in state_machine_arn:
        raise RuntimeError(f"not a state machine ARN: {state_machine_arn!r}")
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{task_id}"


class ExecutionStarter:
    """Starts (and, when its task ended meanwhile, stops) a task's execution with a boto3 Step Functions client."""

    def __init__(self, sfn_client: Any, state_machine_arn: str) -> None:
        self._sfn = sfn_client
        self._state_machine_arn = state_machine_arn

    def start(self, start: StartRequest) -> bool:
        """Start the analysis named after its task; False when it already exists (a duplicate delivery)."""
        try:
            self._sfn.start_execution(
                stateMachineArn=self._state_machine_arn, name=start.task_id, input=start.model_dump_json()
            )
        except Exception as exc:
            if error_code(exc) == "ExecutionAlreadyExists":
                return False
            raise
        return True

    def stop(self, task_id: str, cause: str, error: str = "Cancelled") -> bool:
        """Stop the task's execution (started after its task ended, or past its deadline); False when there is none."""
        try:
            self._sfn.stop_execution(
                executionArn=execution_arn(self._state_machine_arn, task_id),
                error=error,
                cause=cause[:_MAX_CAUSE],
            )
        except Exception as exc:
            if error_code(exc) == "ExecutionDoesNotExist":
                return False
            raise
        return True

    def status(self, task_id: str) -> str | None:
        """The execution's status (the reconciler's question); None when the task has no execution."""
        try:
            reply = self._sfn.describe_execution(executionArn=execution_arn(self._state_machine_arn, task_id))
        except Exception as exc:
            if error_code(exc) == "ExecutionDoesNotExist":
                return None
            raise
        return str(reply["status"])


class ExecutionStopper:
    """Stops a task's execution with an aiobotocore Step Functions client."""

    def __init__(self, sfn_client: Any, state_machine_arn: str) -> None:
        self._sfn = sfn_client
        self._state_machine_arn = state_machine_arn

    def execution_arn(self, task_id: str) -> str:
        return execution_arn(self._state_machine_arn, task_id)

    async def stop(self, task_id: str, cause: str) -> bool:
        """Stop the task's execution; False when there is none yet (the starter has not run).

        A task cancelled before it starts needs no stop: its log already ends with ``task_cancelled``,
        so the starter skips it, or PrepareData's first append is refused (invariant 6).
        """
        try:
            await self._sfn.stop_execution(
                executionArn=self.execution_arn(task_id), error="Cancelled", cause=cause[:_MAX_CAUSE]
            )
        except Exception as exc:
            if error_code(exc) == "ExecutionDoesNotExist":
                logger.info("no execution to stop", extra={"task_id": task_id})
                return False
            raise
        return True
