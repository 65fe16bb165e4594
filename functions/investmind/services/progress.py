"""ProgressFunction's use case: fold a task's new stream records into its projection, once, in order."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ..errors import Conflict, NotFound, TaskEnded
from ..models import Event, EventDraft, EventType, Task
from ..projection import fold
from .ports import EventLog, TaskStore

logger = logging.getLogger(__name__)

MAX_SAVE_ATTEMPTS = 5
_PAGE = 1000


# --- ProgressFunction ----------------------------------------------------------------------------------------


def apply_events(tasks: TaskStore, log: EventLog, events: Sequence[Event]) -> None:
    """Fold one task's stream records into it, once, and announce a move of percent or stage as a ``progress`` event.

    ProgressFunction hands over all of a batch's records of one task together, so a burst of events
    costs one read, one conditional write and at most one progress event. Records at or below the
    task's ``applied_seq`` were applied before (stream records are replayed) and change nothing; a gap
    before the first new record is filled from the log, so the fold always runs in seq order.

    Parameters
    ----------
    tasks, log
        The stores the projection is read from and written to.
    events
        Events of one task (the NEW_IMAGEs of its stream records), in any order.
    """
    ordered = sorted(events, key=lambda e: e.seq)
    task_id = ordered[0].task_id
    for attempt in range(MAX_SAVE_ATTEMPTS):
        try:
            before = tasks.get_projection(task_id)
        except NotFound:
            # Nothing to project onto (expired): failing the record would only block the stream shard.
            logger.warning("events of an unknown task", extra={"task_id": task_id, "seq": ordered[-1].seq})
            return
        pending = [e for e in ordered if e.seq > before.applied_seq]
        if not pending:
            return
        after = before
        for event in _through(log, before.applied_seq, pending):
            after = fold(after, event)
        if tasks.save_projection(after, expected_applied_seq=before.applied_seq, before=before):
            break
        logger.info("projection moved under us", extra={"task_id": task_id, "attempt": attempt})
    else:
        raise Conflict(f"could not save the projection of analysis {task_id}")
    if any(e.type != EventType.progress for e in pending) and not after.terminal and _moved(before, after):
        _announce(log, after)


def fold_from_log(tasks: TaskStore, log: EventLog, task_id: str) -> int:
    """Fold what the projection lacks straight from the log (the reconciler's rebuild); how many events were new.

    The same write path as the stream's (``apply_events``), so a projection ProgressFunction could not
    fold (its records dropped after their retries) heals to exactly what the stream would have written.
    """
    start = applied = tasks.get_projection(task_id).applied_seq
    while events := log.read(task_id, after=applied, limit=_PAGE):
        apply_events(tasks, log, events)
        moved = tasks.get_projection(task_id).applied_seq
        if moved <= applied:  # nothing could be folded (it moved under us, or vanished): no loop on it
            break
        applied = moved
    return applied - start


def _through(log: EventLog, applied_seq: int, pending: list[Event]) -> list[Event]:
    """The events after ``applied_seq`` up to the last pending one, in order (missing ones read from the log)."""
    last = pending[-1].seq
    if [e.seq for e in pending] == list(range(applied_seq + 1, last + 1)):
        return pending
    events = log.read(pending[0].task_id, after=applied_seq, limit=last - applied_seq)
    if [e.seq for e in events] != list(range(applied_seq + 1, last + 1)):
        # The log is gap-free, so this is a read racing a commit: fail the record, the stream delivers it again.
        raise Conflict(f"analysis {pending[0].task_id}: events {applied_seq + 1}..{last} not readable yet")
    # ProgressFunction's own progress events are filtered out of its stream (template.yaml), so a gap made
    # only of them is the normal case; any other gap is a record the stream has yet to deliver.
    given = {e.seq for e in pending}
    filled = [e for e in events if e.seq not in given]
    level = logging.DEBUG if all(e.type == EventType.progress for e in filled) else logging.INFO
    logger.log(level, "stream gap filled from the log", extra={"task_id": pending[0].task_id, "events": len(filled)})
    return events


def _moved(before: Task, after: Task) -> bool:
    return (before.progress.percent, before.progress.stage) != (after.progress.percent, after.progress.stage)


def _announce(log: EventLog, task: Task) -> None:
    draft = EventDraft(type=EventType.progress, data=task.progress.model_dump(mode="json"))
    try:
        log.append(task.task_id, [draft])
    except TaskEnded:
        logger.debug("task ended before its progress event", extra={"task_id": task.task_id})
