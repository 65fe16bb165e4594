"""FinalizeFunction: the decision, the last stage_completed and task_completed."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..composition.lambdas import event_log, result_store
from ..models import AgentInput
from ..services.pipeline import finalize
from ..settings import get_settings
from .instrument import lambda_logging

logger = Logger()


@lambda_logging(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    settings = get_settings()
    state = AgentInput.model_validate(event)
    logger.thread_safe_append_keys(task_id=state.context.task_id)
    log = event_log(settings)
    return finalize(state, log, result_store(settings))
