"""ReconcileFunction: on a schedule, heal lagging projections and settle what nothing else will (services/reconcile)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..composition.lambdas import reconciler
from ..settings import get_settings
from .instrument import lambda_logging

logger = Logger()
REPORT_MARGIN_S = 30.0
"""Seconds of the function's time kept back from the pass: its last page, and the report."""


@lambda_logging(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    """The scheduled event carries nothing the pass needs; the answer is its report.

    The pass stops in time to report (``next_cursor`` set); the next tick starts again from the oldest
    open task, the ones most likely to need settling.
    """
    budget_s = max(1.0, context.get_remaining_time_in_millis() / 1000 - REPORT_MARGIN_S)
    return reconciler(get_settings())(budget_s=budget_s).model_dump(mode="json")
