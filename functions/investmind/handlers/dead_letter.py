"""DeadLetterFunction: a start message that reached a DLQ ends its task FAILED (SQS batch, partial failures)."""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..composition.lambdas import event_log
from ..models import StartRequest
from ..services.failures import record_dead_letter
from ..settings import get_settings
from .instrument import lambda_logging

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    start = StartRequest.model_validate_json(record.body)
    record_dead_letter(start.task_id, int(record.attributes.approximate_receive_count), event_log(get_settings()))


@lambda_logging(logger)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
