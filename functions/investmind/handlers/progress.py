"""ProgressFunction: folds each new event from the DynamoDB stream into the Task projection."""

from __future__ import annotations

from collections import defaultdict

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import observability
from ..adapters.dynamodb.codec import event_from_item
from ..composition.lambdas import stores
from ..models import Event
from ..services.progress import apply_events
from ..settings import get_settings
from .instrument import lambda_logging

logger = Logger()


def _by_task(records: list[dict]) -> dict[str, list[tuple[str, Event]]]:
    """The records' events grouped by task. A record that does not decode is logged and skipped: it can
    never fold, and failing it would block the shard behind it; the fold reads any event it lacks from
    the log itself, so skipping loses nothing."""
    by_task: dict[str, list[tuple[str, Event]]] = defaultdict(list)
    for record in records:
        image = record.get("dynamodb", {}).get("NewImage")
        if not image:  # a TTL deletion has none: nothing to fold
            continue
        try:
            event = event_from_item(image)
        except Exception:
            logger.exception("undecodable stream record skipped", extra={"event_id": record.get("eventID")})
            continue
        by_task[event.task_id].append((record["dynamodb"]["SequenceNumber"], event))
    return by_task


@lambda_logging(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    """Folds the batch per task (one read and one write per task, not per record), so Powertools'
    record-at-a-time BatchProcessor does not fit; partial failures are reported the same way.

    A failed task's records are reported from its lowest sequence number: the stream resumes there
    and delivers the later records again, and the fold skips every seq already applied (invariant 3).

    Every event appended to the log, by any writer, arrives here once as a record with a NewImage, so
    this is where ``EventsAppended`` is counted: the records before the resume point only, since the
    later ones come again.
    """
    by_task = _by_task(event["Records"])
    tasks, log = stores(get_settings())
    failures = []
    for task_id, records in by_task.items():
        try:
            apply_events(tasks, log, [parsed for _, parsed in records])
        except Exception:
            logger.exception("projection failed", extra={"task_id": task_id})
            failures.append({"itemIdentifier": min((seq for seq, _ in records), key=int)})
    resume = min((int(f["itemIdentifier"]) for f in failures), default=None)
    observability.events_appended(
        sum(resume is None or int(seq) < resume for records in by_task.values() for seq, _ in records)
    )
    return {"batchItemFailures": failures}
