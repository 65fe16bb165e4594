"""StarterFunction's use case: start the execution of a queued task, once, and only while its log is open."""

from __future__ import annotations

import logging

from ..errors import NotFound
from ..models import StartRequest
from .ports import EventLog, ExecutionStarter

logger = logging.getLogger(__name__)


def start_queued(start: StartRequest, log: EventLog, executions: ExecutionStarter) -> bool:
    """Start ``start``'s execution; False when there is nothing to start.

    The log decides, not the projection (which may lag it): a task whose log has ended (cancelled
    while queued) starts nothing; an unknown task (no log head: expired, or never created) is a
    logged discard, so its message does not fail its batch forever; an existing execution means a
    duplicate delivery (the execution is named after the task, invariant 3). A cancel that lands
    between the check and the start finds no execution to stop, so the log is checked again after
    the start, and the new execution stopped if it has ended meanwhile.
    """
    try:
        if log.head(start.task_id).ended:
            logger.info(
                "task already ended (cancelled, or a message delivered again after it ran); not starting",
                extra={"task_id": start.task_id},
            )
            return False
    except NotFound:
        logger.warning("start message for an unknown task; discarded", extra={"task_id": start.task_id})
        return False
    started = executions.start(start)
    logger.info(
        "execution started" if started else "duplicate delivery; execution exists", extra={"task_id": start.task_id}
    )
    if started and log.head(start.task_id).ended:
        logger.info("task ended while its execution started; stopping it", extra={"task_id": start.task_id})
        executions.stop(start.task_id, "the task ended before its execution started")
        return False
    return started
