"""The key store on DynamoDB (``KeysTable``), for the API's event loop (aiobotocore).

Keys are items by ``key_id`` with a ``by_owner`` index; the deployment's secrets (the stream-token
signing secret) are items ``secret#<name>`` beside them, created once with a conditional put.
"""

from __future__ import annotations

from typing import Any

from ...auth.base import ApiKeyRecord
from ...errors import Conflict
from .codec import from_item, to_item

_SECRET = "secret#"


class AsyncDynamoKeyStore:
    """:class:`~investmind.auth.base.KeyStore` on ``table``; ``client`` is an entered aiobotocore DynamoDB client."""

    def __init__(self, table: str, client: Any) -> None:
        if not table:
            raise ValueError("the key store needs its table (INVESTMIND_KEYS_TABLE)")
        self.table = table
        self._client = client

    async def put(self, record: ApiKeyRecord) -> None:
        try:
            await self._client.put_item(
                TableName=self.table, Item=to_item(record.model_dump(exclude_none=True)),
                ConditionExpression="attribute_not_exists(key_id)",
            )  # fmt: skip
        except self._client.exceptions.ConditionalCheckFailedException as exc:
            raise Conflict(f"API key {record.key_id} already exists") from exc

    async def get(self, key_id: str) -> ApiKeyRecord | None:
        if key_id.startswith(_SECRET):
            return None
        reply = await self._client.get_item(TableName=self.table, Key={"key_id": {"S": key_id}}, ConsistentRead=True)
        return ApiKeyRecord.model_validate(from_item(reply["Item"])) if "Item" in reply else None

    async def list(self, owner: str | None) -> list[ApiKeyRecord]:
        if owner is not None:
            query = {
                "IndexName": "by_owner", "KeyConditionExpression": "#o = :o", "ScanIndexForward": False,
                "ExpressionAttributeNames": {"#o": "owner"}, "ExpressionAttributeValues": {":o": {"S": owner}},
            }  # fmt: skip
            pages = self._client.get_paginator("query").paginate(TableName=self.table, **query)
        else:  # an admin's view of every owner: the table is small (one item per key)
            pages = self._client.get_paginator("scan").paginate(
                TableName=self.table, FilterExpression="attribute_exists(#o)", ExpressionAttributeNames={"#o": "owner"}
            )
        records = [ApiKeyRecord.model_validate(from_item(item)) async for page in pages for item in page["Items"]]
        return sorted(records, key=lambda r: (r.created_at, r.key_id), reverse=True)

    async def revoke(self, key_id: str, at: str) -> ApiKeyRecord | None:
        try:
            await self._client.update_item(
                TableName=self.table, Key={"key_id": {"S": key_id}},
                UpdateExpression="SET revoked_at = if_not_exists(revoked_at, :at)",
                ConditionExpression="attribute_exists(#o)", ExpressionAttributeNames={"#o": "owner"},
                ExpressionAttributeValues={":at": {"S": at}},
            )  # fmt: skip
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return await self.get(key_id)

    async def touch(self, key_id: str, at: str) -> None:
        await self._client.update_item(
            TableName=self.table, Key={"key_id": {"S": key_id}}, UpdateExpression="SET last_used_at = :at",
            ConditionExpression="attribute_exists(#o)", ExpressionAttributeNames={"#o": "owner"},
            ExpressionAttributeValues={":at": {"S": at}},
        )  # fmt: skip

    async def secret(self, name: str, candidate: str) -> str:
        key = {"key_id": {"S": _SECRET + name}}
        try:
            await self._client.put_item(
                TableName=self.table, Item={**key, "value": {"S": candidate}},
                ConditionExpression="attribute_not_exists(key_id)",
            )  # fmt: skip
            return candidate
        except self._client.exceptions.ConditionalCheckFailedException:
            reply = await self._client.get_item(TableName=self.table, Key=key, ConsistentRead=True)
            return str(reply["Item"]["value"]["S"])
