"""Stream leases on DynamoDB: one item per owner in TasksTable, ``leases#<owner>``, holding a map of its live
leases (lease id → epoch second it runs out) and a version.

Acquiring first tries one conditional update that adds the lease while the map holds fewer than the
limit (``size(leases) < limit``): no read, no race between an owner's many streams opening at once. Only
when that is refused (no item yet, or the map is full, perhaps of leases that ran out) is it optimistic:
read the item (strongly consistent), drop the leases that ran out, and write the pruned map with the new
lease only if the version is still the one read; a lost race reads again.
Release and renew bump the version too, so an acquire that read before them cannot write a released
lease back. The item has no ``owner``/``created_at`` attributes (it stays out of ``by_owner``) and
carries ``expires_at`` for the table's TTL, a little after its last lease: an owner whose processes
all died leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

from ...errors import ServiceUnavailable

_ATTEMPTS = 8
_TTL_MARGIN_S = 60


def lease_item_id(owner: str) -> str:
    return f"leases#{owner}"


class AsyncDynamoStreamLeases:
    """:class:`~investmind.services.ports.StreamLeases` on ``table`` (TasksTable) with an aiobotocore client."""

    def __init__(self, table: str, client: Any, clock: Callable[[], float] = time.time) -> None:
        if not table:
            raise ValueError("stream leases need the tasks table (INVESTMIND_TASKS_TABLE)")
        self.table = table
        self._client = client
        self._clock = clock

    def _key(self, owner: str) -> dict[str, Any]:
        return {"task_id": {"S": lease_item_id(owner)}}

    async def acquire(self, owner: str, lease_id: str, limit: int, ttl_s: int) -> float | None:
        for _ in range(_ATTEMPTS):
            if await self._add_below_limit(owner, lease_id, limit, ttl_s):
                return None
            reply = await self._client.get_item(TableName=self.table, Key=self._key(owner), ConsistentRead=True)
            item = reply.get("Item")
            now = self._clock()
            leases = {lid: float(v["N"]) for lid, v in (item or {}).get("leases", {}).get("M", {}).items()}
            live = {lid: end for lid, end in leases.items() if end > now}
            if len(live) >= limit and lease_id not in live:
                return min(live.values()) - now
            live[lease_id] = now + ttl_s
            if await self._put(owner, live, item):
                return None
            await asyncio.sleep(random.uniform(0.005, 0.05))  # noqa: S311 - jitter, not a secret
        raise ServiceUnavailable("could not take a stream lease: too many concurrent requests")

    async def _add_below_limit(self, owner: str, lease_id: str, limit: int, ttl_s: int) -> bool:
        """Add the lease in one write if the owner's map exists and holds fewer than ``limit`` leases."""
        end = self._clock() + ttl_s
        try:
            await self._client.update_item(
                TableName=self.table, Key=self._key(owner),
                UpdateExpression="SET #l.#id = :end, #v = #v + :one, expires_at = :ttl",
                ConditionExpression="attribute_exists(#l) AND size(#l) < :limit",
                ExpressionAttributeNames={"#l": "leases", "#id": lease_id, "#v": "version"},
                ExpressionAttributeValues={
                    ":end": {"N": f"{end:.3f}"}, ":one": {"N": "1"}, ":limit": {"N": str(limit)},
                    ":ttl": {"N": str(int(end) + _TTL_MARGIN_S)},
                },
            )  # fmt: skip
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    async def _put(self, owner: str, live: dict[str, float], read: dict[str, Any] | None) -> bool:
        """Write ``live`` if the item is still as read (its version, or its absence)."""
        version = int(read["version"]["N"]) if read else 0
        item = {
            **self._key(owner),
            "leases": {"M": {lid: {"N": f"{end:.3f}"} for lid, end in live.items()}},
            "version": {"N": str(version + 1)},
            "expires_at": {"N": str(int(max(live.values())) + _TTL_MARGIN_S)},
        }
        if read:
            condition = {
                "ConditionExpression": "#v = :v", "ExpressionAttributeNames": {"#v": "version"},
                "ExpressionAttributeValues": {":v": {"N": str(version)}},
            }  # fmt: skip
        else:
            condition = {"ConditionExpression": "attribute_not_exists(task_id)"}
        try:
            await self._client.put_item(TableName=self.table, Item=item, **condition)
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    async def renew(self, owner: str, lease_id: str, ttl_s: int) -> bool:
        end = self._clock() + ttl_s
        try:
            await self._client.update_item(
                TableName=self.table, Key=self._key(owner),
                UpdateExpression="SET #l.#id = :end, #v = #v + :one, expires_at = :ttl",
                ConditionExpression="attribute_exists(#l.#id)",
                ExpressionAttributeNames={"#l": "leases", "#id": lease_id, "#v": "version"},
                ExpressionAttributeValues={
                    ":end": {"N": f"{end:.3f}"}, ":one": {"N": "1"}, ":ttl": {"N": str(int(end) + _TTL_MARGIN_S)},
                },
            )  # fmt: skip
        except self._client.exceptions.ConditionalCheckFailedException:
            return False
        return True

    async def release(self, owner: str, lease_id: str) -> None:
        try:
            await self._client.update_item(
                TableName=self.table, Key=self._key(owner),
                UpdateExpression="REMOVE #l.#id SET #v = #v + :one",
                ConditionExpression="attribute_exists(#l.#id)",
                ExpressionAttributeNames={"#l": "leases", "#id": lease_id, "#v": "version"},
                ExpressionAttributeValues={":one": {"N": "1"}},
            )  # fmt: skip
        except self._client.exceptions.ConditionalCheckFailedException:
            pass  # already released, or run out and pruned
