"""StarterFunction: one state machine execution per queued task (SQS batch, partial failures)."""

from __future__ import annotations

import time

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from .. import observability
from ..composition.lambdas import execution_starter, stores
from ..models import StartRequest
from ..services.starter import start_queued
from ..settings import get_settings
from .instrument import lambda_logging

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    start = StartRequest.model_validate_json(record.body)
    settings = get_settings()
    if start_queued(start, stores(settings)[0], execution_starter(settings)):
        observability.queue_to_start(time.time() * 1000 - int(record.attributes.sent_timestamp))


@lambda_logging(logger)
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
