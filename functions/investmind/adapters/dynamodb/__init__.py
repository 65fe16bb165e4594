"""Tasks and the event log on DynamoDB: boto3 (Lambda handlers) and aiobotocore (the API)."""

from .store import DynamoEventLog, DynamoResultStore, DynamoTaskStore
from .store_async import AsyncDynamoEventLog, AsyncDynamoTaskStore

__all__ = ["AsyncDynamoEventLog", "AsyncDynamoTaskStore", "DynamoEventLog", "DynamoResultStore", "DynamoTaskStore"]
