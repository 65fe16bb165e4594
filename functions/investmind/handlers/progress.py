"""ProgressFunction: folds each new event from the DynamoDB stream into the Task projection."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..projection import apply_event
from ..settings import get_settings
from ..store.codec import event_from_item
from ..wiring import stores

logger = Logger()
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    image = record.raw_event.get("dynamodb", {}).get("NewImage")
    if not image:
        return  # a TTL deletion: nothing to fold
    event = event_from_item(image)
    tasks, log = stores(get_settings())
    apply_event(tasks, log, event)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    # A failed record makes the stream resume from it and deliver the later ones again; the fold
    # skips every seq it has already applied (invariant 3).
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
