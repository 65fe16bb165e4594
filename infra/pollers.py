"""Event source mappings, emulated as AWS runs them: SQS batches, DynamoDB streams, EventBridge rules and schedules."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
import threading
import uuid
from typing import Any

import boto3

from .lambdas import LocalLambda

logger = logging.getLogger(__name__)


class Poller(threading.Thread):
    def __init__(self, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()


class SqsPoller(Poller):
    """Receives batches and invokes the function; deletes what succeeded (all, or all but the
    reported ``batchItemFailures``). The rest becomes visible again after the visibility timeout
    and, after ``maxReceiveCount`` receives, moto's redrive moves it to the DLQ."""

    def __init__(
        self,
        lambdas: LocalLambda,
        function: str,
        queue_url: str,
        queue_arn: str,
        batch_size: int,
        report_failures: bool,
        region: str,
    ) -> None:
        super().__init__(f"sqs:{queue_url.rsplit('/', 1)[-1]}")
        self.lambdas, self.function, self.queue_url, self.queue_arn = lambdas, function, queue_url, queue_arn
        self.batch_size, self.report_failures, self.region = batch_size, report_failures, region
        self.sqs = boto3.client("sqs", region_name=region)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self._poll_once()
            except Exception:  # noqa: BLE001 - a poller outlives one bad poll, as AWS's does
                logger.exception("sqs poll failed")
                self.stopping.wait(1)

    def _poll_once(self) -> None:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.batch_size,
            WaitTimeSeconds=1,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return
        answer = self.lambdas.invoke(self.function, {"Records": [self._record(m) for m in messages]})
        if answer.failed:
            logger.warning("%s failed on a batch of %d: %s", self.function, len(messages), answer.payload)
            return
        failed = (
            {f["itemIdentifier"] for f in (answer.payload or {}).get("batchItemFailures", [])}
            if self.report_failures
            else set()
        )
        done = [m for m in messages if m["MessageId"] not in failed]
        for chunk in range(0, len(done), 10):
            entries = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[chunk : chunk + 10])
            ]
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)

    def _record(self, message: dict) -> dict:
        attributes = {name[0].upper() + name[1:]: value for name, value in message.get("Attributes", {}).items()}
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": attributes,
            "messageAttributes": {
                k: {
                    "stringValue": v.get("StringValue"),
                    "dataType": v["DataType"],
                    "stringListValues": [],
                    "binaryListValues": [],
                }
                for k, v in message.get("MessageAttributes", {}).items()
            },
            "md5OfBody": message.get("MD5OfBody") or hashlib.md5(message["Body"].encode()).hexdigest(),  # noqa: S324
            "eventSource": "aws:sqs",
            "eventSourceARN": self.queue_arn,
            "awsRegion": self.region,
        }


class StreamPoller(Poller):
    """Reads a DynamoDB stream in order and invokes the function with batches of records.

    On a partial failure it resumes from the lowest failed sequence number, delivering the later
    records again (as Lambda does), up to ``max_retries`` attempts before moving past the batch.
    With ``filters`` (the mapping's ``FilterCriteria`` patterns), a record that matches none is
    dropped before the function sees it, as Lambda's event filtering does; a batch of only such
    records is passed over without an invocation. Patterns are matched by moto's EventBridge pattern
    matcher (the same pattern language).
    """

    # Lambda polls each shard of a DynamoDB stream about four times a second when it is idle; polling
    # faster here would only burn the CPU the functions need (every poll is a moto request).
    IDLE_S = 0.25

    def __init__(
        self,
        lambdas: LocalLambda,
        function: str,
        stream_arn: str,
        batch_size: int,
        max_retries: int,
        region: str,
        filters: list[dict] | None = None,
        on_failure_url: str | None = None,
    ) -> None:
        from moto.events.models import EventPattern

        super().__init__(f"stream:{function}")
        self.lambdas, self.function, self.stream_arn = lambdas, function, stream_arn
        self.batch_size, self.max_retries, self.region = batch_size, max_retries, region
        self.filters = [EventPattern(json.dumps(f), f) for f in filters or []]
        self.streams = boto3.client("dynamodbstreams", region_name=region)
        self.on_failure_url = on_failure_url
        self.sqs = boto3.client("sqs", region_name=region) if on_failure_url else None

    def run(self) -> None:
        shard = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"][0]
        iterator = self.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        attempts = 0
        while not self.stopping.is_set():
            response = self.streams.get_records(ShardIterator=iterator, Limit=self.batch_size)
            records = response.get("Records", [])
            if not records:
                iterator = response["NextShardIterator"]
                self.stopping.wait(self.IDLE_S)
                continue
            retry_from = self._deliver(records)
            if retry_from is None or attempts >= self.max_retries:
                if retry_from is not None:
                    logger.error(
                        "%s: giving up on records from %s after %d retries", self.function, retry_from, attempts
                    )
                    self._record_failure(shard["ShardId"], records, attempts + 1)
                attempts = 0
                iterator = response["NextShardIterator"]
                continue
            attempts += 1
            self.stopping.wait(min(0.05 * 2**attempts, 2))
            iterator = self.streams.get_shard_iterator(
                StreamArn=self.stream_arn,
                ShardId=shard["ShardId"],
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=retry_from,
            )["ShardIterator"]

    def _record_failure(self, shard_id: str, records: list[dict], invocations: int) -> None:
        """The mapping's ``DestinationConfig.OnFailure``: the batch's bounds (not its records), as Lambda sends them."""
        if self.sqs is None:
            return
        first, last = records[0]["dynamodb"], records[-1]["dynamodb"]

        def arrival(body: dict) -> str:
            created = body.get("ApproximateCreationDateTime")
            when = created if isinstance(created, dt.datetime) else dt.datetime.now(dt.UTC)
            return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

        function = self.lambdas.functions[self.function]
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()), "functionArn": function.arn,
                "condition": "RetryAttemptsExhausted", "approximateInvokeCount": invocations,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": arrival({}),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": first["SequenceNumber"], "endSequenceNumber": last["SequenceNumber"],
                "approximateArrivalOfFirstRecord": arrival(first), "approximateArrivalOfLastRecord": arrival(last),
                "batchSize": len(records), "streamArn": self.stream_arn,
            },
        }  # fmt: skip
        self.sqs.send_message(QueueUrl=self.on_failure_url, MessageBody=json.dumps(message))

    def _deliver(self, records: list[dict]) -> str | None:
        """Invoke once; the sequence number to resume from, or None when all succeeded."""
        shaped = [self._record(r) for r in records]
        if self.filters:
            shaped = [r for r in shaped if any(f.matches_event(r) for f in self.filters)]
            if not shaped:
                return None
        event = {"Records": shaped}
        answer = self.lambdas.invoke(self.function, event)
        if answer.failed:
            logger.warning("%s failed on a batch: %s", self.function, answer.payload)
            return records[0]["dynamodb"]["SequenceNumber"]
        failures = (answer.payload or {}).get("batchItemFailures", [])
        if not failures:
            return None
        return min((f["itemIdentifier"] for f in failures), key=int)

    def _record(self, record: dict) -> dict:
        body = dict(record["dynamodb"])
        created = body.get("ApproximateCreationDateTime")
        if isinstance(created, dt.datetime):
            body["ApproximateCreationDateTime"] = created.timestamp()
        return {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": self.region,
            "dynamodb": body,
            "eventSourceARN": self.stream_arn,
        }


class ExecutionEndedRule(Poller):
    """The EventBridge rule on 'Step Functions Execution Status Change': moto emits no such
    events, so this watches the state machine's executions and invokes the target for each one
    that ends with a status the rule's pattern names."""

    INTERVAL_S = 2.0  # only for executions that end outside the state machine's Catch: rare, not urgent

    def __init__(
        self, lambdas: LocalLambda, function: str, state_machine_arn: str, statuses: list[str], region: str
    ) -> None:
        super().__init__(f"rule:{function}")
        self.lambdas, self.function, self.state_machine_arn = lambdas, function, state_machine_arn
        self.statuses, self.region = statuses, region
        self.sfn = boto3.client("stepfunctions", region_name=region)
        self.seen: set[str] = set()

    def run(self) -> None:
        while not self.stopping.wait(self.INTERVAL_S):
            for status in self.statuses:
                try:
                    self._check(status)
                except Exception:  # noqa: BLE001
                    logger.exception("execution watch failed")

    def _check(self, status: str) -> None:
        pages = self.sfn.get_paginator("list_executions").paginate(
            stateMachineArn=self.state_machine_arn, statusFilter=status
        )
        for page in pages:
            for execution in page["executions"]:
                if execution["executionArn"] in self.seen:
                    continue
                self.seen.add(execution["executionArn"])
                answer = self.lambdas.invoke(self.function, self._event(execution, status))
                if answer.failed:  # EventBridge's async invocation would retry, then drop it: the reconciler settles
                    logger.warning("%s failed on %s: %s", self.function, execution["name"], answer.payload)

    def _event(self, execution: dict[str, Any], status: str) -> dict:
        return {
            "version": "0",
            "id": execution["executionArn"],
            "source": "aws.states",
            "detail-type": "Step Functions Execution Status Change",
            "region": self.region,
            "resources": [execution["executionArn"]],
            "detail": {
                "executionArn": execution["executionArn"],
                "stateMachineArn": self.state_machine_arn,
                "name": execution["name"],
                "status": status,
            },
        }


class ScheduleRule(Poller):
    """A function's ``Schedule`` event (an EventBridge rule ``rate(...)``): invokes it every ``period_s``,
    with the scheduled event's shape. The first invocation is one period after the start, as on AWS."""

    def __init__(self, lambdas: LocalLambda, function: str, period_s: float, region: str) -> None:
        super().__init__(f"schedule:{function}")
        self.lambdas, self.function, self.period_s, self.region = lambdas, function, period_s, region

    def run(self) -> None:
        while not self.stopping.wait(self.period_s):
            now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            event = {
                "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                "time": now, "region": self.region, "resources": [], "detail": {},
            }  # fmt: skip
            answer = self.lambdas.invoke(self.function, event)
            if answer.failed:
                logger.warning("%s failed on its schedule: %s", self.function, answer.payload)


def rate_seconds(expression: str) -> float:
    """``rate(5 minutes)`` → 300; the only schedule form the template uses (a cron would raise)."""
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)", expression.strip())
    if match is None:
        raise NotImplementedError(f"the embedded runtime runs rate(...) schedules only, not {expression!r}")
    unit = {"minute": 60, "hour": 3600, "day": 86_400}[match.group(2).rstrip("s")]
    return int(match.group(1)) * unit
