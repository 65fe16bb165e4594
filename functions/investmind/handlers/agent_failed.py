"""AgentFailedFunction: an agent's ``…Failed`` state records it failed, and the analysis goes on degraded."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..composition.lambdas import event_log
from ..services.failures import AgentFailure, record_agent_failure
from ..settings import get_settings
from .instrument import lambda_logging

logger = Logger()


@lambda_logging(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    failure = AgentFailure.model_validate(event)
    logger.thread_safe_append_keys(agent_id=failure.agent_id)
    # The state carries the reference (docs/architecture.md §4, invariant 9); the result is in agent_failed.
    return record_agent_failure(failure, event_log(get_settings())).ref.model_dump(mode="json")
