"""ExecutionEndedFunction: an execution that timed out, was aborted or failed outside the state machine's own
handling (EventBridge "Step Functions Execution Status Change") ends its task FAILED."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..composition.lambdas import event_log
from ..services.failures import ExecutionEnded, record_execution_ended
from ..settings import get_settings
from .instrument import lambda_logging

logger = Logger()


@lambda_logging(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    ended = ExecutionEnded.model_validate(event["detail"])
    logger.thread_safe_append_keys(task_id=ended.name)
    return {"task_id": ended.name, "recorded": record_execution_ended(ended, event_log(get_settings()))}
