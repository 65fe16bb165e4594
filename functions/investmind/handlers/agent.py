"""The ten agent functions: one roster entry each, picked by ``AGENT_ID`` in the environment."""

from __future__ import annotations

import time
from functools import partial

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import analysts, llm
from ..composition import llm as llm_config
from ..composition import market
from ..composition.lambdas import event_log, result_store
from ..models import AgentInput
from ..services.pipeline import run_agent
from ..settings import get_settings
from .instrument import lambda_logging

logger = Logger()
LLM_MARGIN_S = 10.0
"""Lambda time kept back from the LLM step for writing the result after it."""


@lambda_logging(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    settings = get_settings()
    # The state machine passes {"state": <AgentInput>, "attempt": $$.State.RetryCount} (infra/asl.py);
    # a bare AgentInput (a direct invocation) is a first attempt.
    wrapped = isinstance(event, dict) and "state" in event and "attempt" in event
    state = AgentInput.model_validate(event["state"] if wrapped else event)
    attempt = int(event["attempt"]) + 1 if wrapped else 1
    task_id = state.context.task_id
    logger.thread_safe_append_keys(task_id=task_id, agent_id=settings.agent_id)
    log = event_log(settings)
    config = llm_config.config_for(settings, settings.agent_id)
    deadline = time.monotonic() + context.get_remaining_time_in_millis() / 1000 - LLM_MARGIN_S
    outcome = run_agent(
        settings.agent_id,
        state,
        log,
        result_store(settings),
        load_snapshot=market.loader(settings),
        analyze=partial(analysts.analyze, language=settings.llm_language),
        refine=partial(llm.refiner(config), deadline=deadline) if config else None,
        simulated_llm_ms=settings.simulated_llm_ms,
        attempt=attempt,
    )
    logger.info("agent done", extra={"status": outcome.result.status, "score": outcome.result.score})
    # The state machine carries the reference; the whole result is in the log (invariant 9).
    return outcome.ref.model_dump(mode="json")
