"""The API's adapters to SQS and Step Functions: fakes for the call shapes, a moto server for the real APIs."""

from __future__ import annotations

import json
import uuid

import pytest

from investmind.adapters.sqs import TaskQueue
from investmind.adapters.stepfunctions import ExecutionStopper
from investmind.models import StartRequest
from investmind.settings import Settings

pytestmark = pytest.mark.anyio
SM_ARN = "arn:aws:states:eu-west-1:123456789012:stateMachine:investmind-analysis"


class ClientError(Exception):
    """Shaped like botocore's: an error code under ``response["Error"]["Code"]``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code, "Message": code}}


class FakeAws:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[tuple[str, dict]] = []
        self.error = error

    async def send_message(self, **params):
        self.calls.append(("send_message", params))
        return {"MessageId": "m-1"}

    async def stop_execution(self, **params):
        self.calls.append(("stop_execution", params))
        if self.error is not None:
            raise self.error
        return {"stopDate": "now"}


def _start(priority: str = "normal") -> StartRequest:
    return StartRequest(task_id=uuid.uuid4().hex, owner="alice", symbol="600519.SH", priority=priority)


@pytest.mark.parametrize("priority", ["high", "normal", "low"])
async def test_task_queue_send_uses_priority_queue_and_task_id_attribute(priority):
    sqs = FakeAws()
    settings = Settings(queue_high_url="q-high", queue_normal_url="q-normal", queue_low_url="q-low")
    start = _start(priority)

    assert await TaskQueue(sqs, settings.queue_urls).send(start) == "m-1"

    [(op, params)] = sqs.calls
    assert op == "send_message" and params["QueueUrl"] == f"q-{priority}"
    assert StartRequest.model_validate_json(params["MessageBody"]) == start
    assert params["MessageAttributes"] == {"task_id": {"DataType": "String", "StringValue": start.task_id}}


async def test_task_queue_send_unset_queue_url_raises():
    with pytest.raises(RuntimeError, match="INVESTMIND_QUEUE_LOW_URL"):
        await TaskQueue(FakeAws(), Settings(queue_low_url="").queue_urls).send(_start("low"))


async def test_execution_stopper_stop_targets_execution_named_after_task():
    sfn = FakeAws()

    assert await ExecutionStopper(sfn, SM_ARN).stop("t" * 32, "cancelled by alice") is True

    [(op, params)] = sfn.calls
    assert op == "stop_execution"
    assert params["executionArn"] == "arn:aws:states:eu-west-1:123456789012:execution:investmind-analysis:" + "t" * 32
    assert params["cause"] == "cancelled by alice"


async def test_execution_stopper_stop_not_started_returns_false():
    assert await ExecutionStopper(FakeAws(ClientError("ExecutionDoesNotExist")), SM_ARN).stop("t" * 32, "c") is False


async def test_execution_stopper_stop_other_error_propagates():
    with pytest.raises(ClientError):
        await ExecutionStopper(FakeAws(ClientError("ThrottlingException")), SM_ARN).stop("t" * 32, "c")


@pytest.fixture(scope="module")
def moto_url():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
async def aws_clients(moto_url, monkeypatch):
    from aiobotocore.session import get_session

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    session = get_session()
    async with (
        session.create_client("sqs", region_name="eu-west-1", endpoint_url=moto_url) as sqs,
        session.create_client("stepfunctions", region_name="eu-west-1", endpoint_url=moto_url) as sfn,
    ):
        yield sqs, sfn


async def test_dispatch_against_moto_server_sends_and_stops(aws_clients):
    sqs, sfn = aws_clients
    queue_url = (await sqs.create_queue(QueueName=f"high-{uuid.uuid4().hex[:8]}"))["QueueUrl"]
    start = _start("high")
    await TaskQueue(sqs, Settings(queue_high_url=queue_url).queue_urls).send(start)
    [message] = (await sqs.receive_message(QueueUrl=queue_url, MessageAttributeNames=["All"]))["Messages"]
    wait = json.dumps({"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 60, "End": True}}})
    machine = await sfn.create_state_machine(
        name=f"analysis-{uuid.uuid4().hex[:8]}", definition=wait, roleArn="arn:aws:iam::123456789012:role/sfn"
    )
    control = ExecutionStopper(sfn, machine["stateMachineArn"])

    not_started = await control.stop(start.task_id, "cancelled by alice")
    await sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name=start.task_id, input="{}")
    stopped = await control.stop(start.task_id, "cancelled by alice")
    execution = await sfn.describe_execution(executionArn=control.execution_arn(start.task_id))

    assert StartRequest.model_validate_json(message["Body"]) == start
    assert message["MessageAttributes"]["task_id"]["StringValue"] == start.task_id
    assert (not_started, stopped, execution["status"]) == (False, True, "ABORTED")
