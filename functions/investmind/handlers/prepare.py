"""PrepareFunction: resolve the symbol and as_of against the data (fetching it into the cache); open the analysis."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import faults
from ..composition import market
from ..composition.lambdas import stores
from ..logs import lambda_logging
from ..models import StartRequest
from ..services.pipeline import prepare
from ..settings import get_settings

logger = Logger()


@lambda_logging(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    start = StartRequest.model_validate(event)
    settings = get_settings()
    logger.thread_safe_append_keys(task_id=start.task_id)
    faults.inject(settings.faults, "prepare", start.symbol, start.task_id)
    _, log = stores(settings)
    task_context = prepare(start, log, market.loader(settings))
    return {"context": task_context.model_dump(mode="json")}
