"""DynamoDB and DynamoDB Streams served by moto inside LocalStack (``PROVIDER_OVERRIDE_DYNAMODB=moto``,
``PROVIDER_OVERRIDE_DYNAMODBSTREAMS=moto``).

LocalStack's own DynamoDB downloads Java and DynamoDB Local at run time; this serves every operation
from the moto backend LocalStack already bundles. moto's DynamoDB backend is not thread-safe (concurrent
``TransactWriteItems`` crashed it and lost writes) and its streams read the same tables, so every
request of both services runs under one lock, a transaction rolls back in place instead of deep-copying
its tables first and a Query reads its partition rather than the whole table sorted (``moto_fixes``), and
cancelled transactions keep stream iterators alive (``moto_streams``).
"""

from __future__ import annotations

import threading
from typing import Any

from localstack.aws.api.dynamodb import DynamodbApi
from localstack.aws.api.dynamodbstreams import DynamodbstreamsApi
from localstack.aws.forwarder import ForwardingFallbackDispatcher
from localstack.services.moto import call_moto
from localstack.services.plugins import Service

from . import moto_fixes, moto_streams

LOCK = threading.RLock()


class MotoDynamoDB(DynamodbApi):
    """Implements nothing itself: each operation falls through to moto."""


class MotoDynamoDBStreams(DynamodbstreamsApi):
    """Implements nothing itself: each operation falls through to moto."""


def _locked_moto(context: Any, request: Any) -> Any:
    with LOCK:
        return call_moto(context)


def service(provider: Any) -> Service:
    moto_fixes.patch()  # the rollback innermost: the stream fix then wraps it
    moto_streams.patch()
    return Service.for_provider(
        provider, dispatch_table_factory=lambda p: ForwardingFallbackDispatcher(p, _locked_moto)
    )
