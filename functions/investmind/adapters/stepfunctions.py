"""Starting state machine executions (the starter's adapter to Step Functions)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ..models import StartRequest


def start_execution(sfn_client: Any, state_machine_arn: str, start: StartRequest) -> bool:
    """Start the analysis named after its task; False when it already exists (a duplicate delivery).

    The execution name is the task id, so StartExecution is its own idempotency guard (invariant 3).
    """
    try:
        sfn_client.start_execution(stateMachineArn=state_machine_arn, name=start.task_id, input=start.model_dump_json())
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ExecutionAlreadyExists":
            return False
        raise
    return True
