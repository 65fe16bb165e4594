"""What the patches give Lambda Invoke and Step Functions' Lambda tasks on the moto server."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from infra import patches
from tests.conftest import wait_until

from .conftest import ACCOUNT, REGION


def _invoker(calls: list[tuple[str, dict]]):
    """Answers as LocalLambda.invoke_http does, per the payload's "answer"."""

    def invoke(name: str, payload: bytes) -> tuple[int, dict[str, str], bytes]:
        event = json.loads(payload)
        calls.append((name, event))
        if event["answer"] == "throttle":
            body = {"Type": "User", "message": "Rate Exceeded."}
            return 429, {"x-amzn-ErrorType": "TooManyRequestsException"}, json.dumps(body).encode()
        if event["answer"] == "error":
            body = {"errorType": "TransientAgentError", "errorMessage": "flaky"}
            return 200, {"x-amz-function-error": "Unhandled"}, json.dumps(body).encode()
        return 200, {}, json.dumps({"echo": event["answer"]}).encode()

    return invoke


def test_lambda_invoke_reaches_the_attached_runtime(client):
    calls: list[tuple[str, dict]] = []
    patches.lambda_invoke.attach(_invoker(calls))
    lam = client("lambda")
    ok = lam.invoke(FunctionName=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f", Payload=b'{"answer": "ok"}')
    failed = lam.invoke(FunctionName="g", Payload=b'{"answer": "error"}')
    with pytest.raises(ClientError) as throttled:
        lam.invoke(FunctionName="h", Payload=b'{"answer": "throttle"}')

    assert json.load(ok["Payload"]) == {"echo": "ok"} and "FunctionError" not in ok
    assert failed["FunctionError"] == "Unhandled"
    assert json.load(failed["Payload"])["errorType"] == "TransientAgentError"
    assert throttled.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert [name for name, _ in calls] == ["f", "g", "h"]


def test_step_functions_name_lambda_errors_as_aws_does_and_reuse_one_client(client):
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    calls: list[tuple[str, dict]] = []
    patches.lambda_invoke.attach(_invoker(calls))
    caught = {"ResultPath": "$.error", "Next": "Caught"}
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:agent",
                "Catch": [
                    {"ErrorEquals": ["Lambda.TooManyRequestsException"], **caught},
                    {"ErrorEquals": ["TransientAgentError"], **caught},
                ],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    sfn = client("stepfunctions")
    arn = sfn.create_state_machine(
        name=f"sm-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/sm",
    )["stateMachineArn"]

    def run(answer: str) -> dict:
        execution = sfn.start_execution(stateMachineArn=arn, name=answer, input=json.dumps({"answer": answer}))[
            "executionArn"
        ]
        done = wait_until(
            lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d,
            timeout=30,
            what="the execution to end",
        )
        assert done["status"] == "SUCCEEDED", done
        return json.loads(done["output"])

    assert run("ok") == {"echo": "ok"}
    assert run("throttle")["error"]["Error"] == "Lambda.TooManyRequestsException"
    assert run("error")["error"]["Error"] == "TransientAgentError"
    assert [name for name, _ in calls] == ["agent"] * 3
    assert lambda_eval_utils.boto_client_for(REGION, "lambda") is lambda_eval_utils.boto_client_for(REGION, "lambda")
