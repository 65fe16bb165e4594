"""The API's adapters to SQS (enqueue an analysis) and Step Functions (stop one); clients are passed in."""

from __future__ import annotations

import logging
from typing import Any

from ..models import StartRequest
from ..settings import Settings

logger = logging.getLogger(__name__)

_MAX_CAUSE = 32_768
"""StopExecution's limit on ``cause``."""


def _error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore/aiobotocore ``ClientError`` (duck-typed: this module imports no SDK)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None


class TaskQueue:
    """Puts a :class:`StartRequest` on the queue of its priority (the starter reads it from there).

    Parameters
    ----------
    sqs_client
        An entered aiobotocore SQS client.
    settings
        Gives the queue URL of each priority (``INVESTMIND_QUEUE_<PRIORITY>_URL``).
    """

    def __init__(self, sqs_client: Any, settings: Settings) -> None:
        self._sqs = sqs_client
        self._settings = settings

    async def send(self, start: StartRequest) -> str:
        """Send ``start`` and return the SQS message id; any failure propagates (the caller fails the task)."""
        reply = await self._sqs.send_message(
            QueueUrl=self._settings.queue_url(start.priority.value),
            MessageBody=start.model_dump_json(),
            MessageAttributes={"task_id": {"DataType": "String", "StringValue": start.task_id}},
        )
        return reply["MessageId"]


class ExecutionControl:
    """Stops the execution of a task; the execution is named after the task id (see ``executions.py``)."""

    def __init__(self, sfn_client: Any, state_machine_arn: str) -> None:
        self._sfn = sfn_client
        self._state_machine_arn = state_machine_arn

    def execution_arn(self, task_id: str) -> str:
        """``arn:…:stateMachine:<name>`` → ``arn:…:execution:<name>:<task_id>``."""
        if ":stateMachine:" not in self._state_machine_arn:
            raise RuntimeError(f"not a state machine ARN: {self._state_machine_arn!r}")
        return self._state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{task_id}"

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
            if _error_code(exc) == "ExecutionDoesNotExist":
                logger.info("no execution to stop", extra={"task_id": task_id})
                return False
            raise
        return True
