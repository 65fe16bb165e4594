"""TaskFailedFunction: the state machine's FailTask ends the task FAILED with the error no agent caught."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..composition.lambdas import event_log
from ..services.failures import TaskFailure, record_caught_failure
from ..settings import get_settings
from .instrument import lambda_logging

logger = Logger()


@lambda_logging(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    failure = TaskFailure.model_validate(event)
    recorded = record_caught_failure(failure, event_log(get_settings()))
    return {"task_id": failure.task_id, "recorded": recorded}
