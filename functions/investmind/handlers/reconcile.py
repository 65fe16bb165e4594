"""ReconcileFunction: on a schedule, heal lagging projections and settle what nothing else will (services/reconcile)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..composition.lambdas import reconciler
from ..settings import get_settings
from .instrument import lambda_logging

logger = Logger()


@lambda_logging(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    """The scheduled event carries nothing the pass needs; the answer is its report."""
    return reconciler(get_settings())().model_dump(mode="json")
