"""SQS: the API puts a task's :class:`StartRequest` on the queue of its priority (aiobotocore)."""

from __future__ import annotations

from typing import Any

from ..models import StartRequest


class TaskQueue:
    """Puts a :class:`StartRequest` on the queue of its priority (the starter reads it from there).

    Parameters
    ----------
    sqs_client
        An entered aiobotocore SQS client.
    queue_urls
        The queue URL of each priority (``high``, ``normal``, ``low``).
    """

    def __init__(self, sqs_client: Any, queue_urls: dict[str, str]) -> None:
        self._sqs = sqs_client
        self._queue_urls = queue_urls

    async def send(self, start: StartRequest) -> str:
        """Send ``start`` and return the SQS message id; any failure propagates (the caller fails the task)."""
        url = self._queue_urls.get(start.priority.value)
        if not url:
            raise RuntimeError(f"INVESTMIND_QUEUE_{start.priority.value.upper()}_URL is not set")
        reply = await self._sqs.send_message(
            QueueUrl=url,
            MessageBody=start.model_dump_json(),
            MessageAttributes={"task_id": {"DataType": "String", "StringValue": start.task_id}},
        )
        return reply["MessageId"]
