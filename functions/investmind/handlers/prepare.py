"""PrepareFunction: resolve the symbol and as_of against the data (fetching it into the cache); open the analysis."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..composition import market
from ..composition.lambdas import event_log
from ..models import StartRequest
from ..services.pipeline import prepare
from ..settings import get_settings
from .instrument import lambda_logging

logger = Logger()


@lambda_logging(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    start = StartRequest.model_validate(event)
    settings = get_settings()
    logger.thread_safe_append_keys(task_id=start.task_id)
    log = event_log(settings)
    task_context = prepare(start, log, market.loader(settings))
    return {"context": task_context.model_dump(mode="json")}
