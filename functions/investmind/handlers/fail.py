"""FailFunction: records failures so nothing is lost (invariant 4).

Four callers: the state machine's per-agent Catch (the agent is recorded failed and the analysis
degrades), its outer Catch (FailTask), the DLQs (a task that could not start) and the
execution-ended rule (an execution that timed out or was aborted outside the Catch).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from ..composition.lambdas import stores
from ..logs import lambda_logging
from ..models import AgentInput, StartRequest
from ..services.pipeline import describe_error, record_agent_failure, record_task_failure
from ..settings import get_settings

logger = Logger()
processor = BatchProcessor(event_type=EventType.SQS)


def _log():
    return stores(get_settings())[1]


def dead_letter_handler(record: SQSRecord) -> None:
    start = StartRequest.model_validate_json(record.body)
    record_task_failure(
        start.task_id,
        "DeadLetter",
        f"could not start after {record.attributes.approximate_receive_count} attempts",
        _log(),
    )


def _task_failed(state: dict) -> dict:
    task_id = state.get("task_id") or state["context"]["task_id"]
    error_type, message = describe_error(state.get("error"))
    record_task_failure(task_id, error_type, message, _log())
    return {"task_id": task_id, "error_type": error_type, "error": message}


def _execution_ended(detail: dict) -> dict:
    task_id, status = detail["name"], detail["status"]
    ended_now = record_task_failure(
        task_id, f"Execution{status.title().replace('_', '')}", f"the execution ended {status}", _log()
    )
    return {"task_id": task_id, "recorded": ended_now}


@lambda_logging(logger)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    if "Records" in event:
        return process_partial_response(
            event=event, record_handler=dead_letter_handler, processor=processor, context=context
        )
    if event.get("source") == "aws.states":
        logger.thread_safe_append_keys(task_id=event["detail"]["name"])
        return _execution_ended(event["detail"])
    if event.get("kind") == "agent":
        logger.thread_safe_append_keys(agent_id=event["agent_id"])
        state = dict(event["state"])
        error = state.pop("error", None)
        result = record_agent_failure(event["agent_id"], AgentInput.model_validate(state), error, _log())
        return result.model_dump(mode="json")
    return _task_failed(event["state"])
