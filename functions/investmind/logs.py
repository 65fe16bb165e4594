"""Structured logging for the handlers: Powertools' Logger with the Lambda context kept per thread."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model


def lambda_logging(logger: Logger) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``Logger.inject_lambda_context(clear_state=True)``, but with the keys kept per thread.

    Powertools keeps injected keys on the formatter every Logger of a service shares; the embedded
    runtime runs many handlers at once on threads of one process, where those keys would leak
    from one invocation's lines into another's. Handlers add their own keys (task_id, agent_id)
    with ``logger.thread_safe_append_keys``. On Lambda (one invocation per process) it is the same.
    """

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def wrapper(event: Any, context: Any) -> Any:
            logger.thread_safe_clear_keys()
            logger.thread_safe_append_keys(**build_lambda_context_model(context).__dict__)
            try:
                return handler(event, context)
            finally:
                logger.thread_safe_clear_keys()

        return wrapper

    return decorate
