"""Per-invocation observability for the handlers: Powertools' Logger keys kept per thread, and the metric set."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model

from ..observability import invocation_metrics
from ..settings import get_settings


def lambda_logging(logger: Logger) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``Logger.inject_lambda_context(clear_state=True)``, but with the keys kept per thread, plus the
    invocation's metrics (``investmind.observability``), written when the handler returns or raises.

    Powertools keeps injected keys on the formatter every Logger of a service shares; the embedded
    runtime runs many handlers at once on threads of one process, where those keys would leak
    from one invocation's lines into another's. On Lambda (one invocation per process) it is the same.

    ``agent_id`` (an agent function's own) and the event's ``task_id``, where it has one, are on every
    line from the first; handlers of batches put each record's ``task_id`` on its own lines.
    """

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(handler)
        def wrapper(event: Any, context: Any) -> Any:
            logger.thread_safe_clear_keys()
            logger.thread_safe_append_keys(**build_lambda_context_model(context).__dict__)
            agent_id = get_settings().agent_id
            task_id = _task_id(event)
            if agent_id:
                logger.thread_safe_append_keys(agent_id=agent_id)
            if task_id:
                logger.thread_safe_append_keys(task_id=task_id)
            try:
                with invocation_metrics():
                    return handler(event, context)
            finally:
                logger.thread_safe_clear_keys()

        return wrapper

    return decorate


def _task_id(event: Any) -> str | None:
    """The task of a state machine task's input (``{task_id}``, ``{context: {task_id}}`` or either under
    ``state``); a batch (``Records``) has one per record."""
    if not isinstance(event, dict):
        return None
    for scope in (event, event.get("state")):
        if isinstance(scope, dict):
            context = scope.get("context")
            found = scope.get("task_id") or (context.get("task_id") if isinstance(context, dict) else None)
            if isinstance(found, str):
                return found
    return None
