"""StarterFunction's use case: start the execution of a queued task, once."""

from __future__ import annotations

import logging

from ..models import StartRequest
from .ports import ExecutionStarter, TaskStore

logger = logging.getLogger(__name__)


def start_queued(start: StartRequest, tasks: TaskStore, executions: ExecutionStarter) -> bool:
    """Start ``start``'s execution; False when the task has ended (cancelled while queued) or its execution
    exists (a duplicate delivery: the execution is named after the task, invariant 3)."""
    if tasks.get(start.task_id).terminal:
        logger.info("task already ended (cancelled while queued); not starting", extra={"task_id": start.task_id})
        return False
    started = executions.start(start)
    logger.info(
        "execution started" if started else "duplicate delivery; execution exists", extra={"task_id": start.task_id}
    )
    return started
