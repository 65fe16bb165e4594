"""The plugins LocalStack finds through this package's entry points (pyproject.toml).

Imports stay inside the factories: LocalStack loads every entry point's module while it discovers
plugins, long before it needs any of them.
"""

from __future__ import annotations

from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.plugins import aws_provider


class HostRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    """``LAMBDA_RUNTIME_EXECUTOR=host``: execution environments are processes on this machine."""

    name = "host"

    def load(self, *args, **kwargs):
        from .executor import HostRuntimeExecutor

        return HostRuntimeExecutor


@aws_provider(api="dynamodb", name="moto")
def dynamodb_moto():
    from .dynamodb import MotoDynamoDB, service

    return service(MotoDynamoDB())


@aws_provider(api="dynamodbstreams", name="moto")
def dynamodbstreams_moto():
    from .dynamodb import MotoDynamoDBStreams, service

    return service(MotoDynamoDBStreams())


@aws_provider(api="cloudformation", name="engine-legacy-host")
def cloudformation_legacy():
    """LocalStack's legacy engine (the default one churned for minutes on this template), with a recursion
    guard that does not read source files (recursion_guard.py) and ``Fn::Split`` in conditions
    (condition_split.py)."""
    from localstack.services.cloudformation.provider import CloudformationProvider
    from localstack.services.plugins import Service

    from . import condition_split, recursion_guard

    recursion_guard.patch()
    condition_split.patch()
    return Service.for_provider(CloudformationProvider())


@aws_provider(api="stepfunctions", name="host")
def stepfunctions_host():
    """LocalStack's Step Functions, naming a failed Lambda Invoke ``Lambda.<code>`` as AWS does (sfn_errors.py)."""
    from localstack.services.plugins import Service
    from localstack.services.stepfunctions.provider import StepFunctionsProvider

    from . import sfn_errors

    sfn_errors.patch()
    return Service.for_provider(StepFunctionsProvider())
