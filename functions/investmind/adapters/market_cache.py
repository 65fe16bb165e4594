"""The shared part cache on DynamoDB (``MarketCacheTable``): one item per part, split when large, with TTL.

Every execution, agent and Lambda container reads the same table, so a part fetched once by
PrepareFunction serves the ten agents and any concurrent analysis of the same stock and date.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from ..market import codec
from ..market.cache import CacheEntry

logger = logging.getLogger(__name__)

KEY = "cache_key"
CHUNK_BYTES = 350_000
"""DynamoDB refuses items over 400 KB (names and values together): larger parts go in several items."""


class DynamoPartCache:
    """``PartCache`` on a DynamoDB table keyed by ``cache_key`` (S), with TTL on ``expires_at``.

    Parameters
    ----------
    table
        The table name (``INVESTMIND_MARKET_CACHE_TABLE``).
    client
        A boto3 DynamoDB client (thread-safe: the fetcher calls from its worker threads, several at once).
    keep_s
        How long an item lives: the window in which a part can still be served, stale, when every
        provider fails. DynamoDB deletes expired items itself, within a day or two, so reads check
        ``expires_at`` too.
    chunk_bytes
        The largest body stored in one item.
    """

    def __init__(self, table: str, client: Any, keep_s: float = 7 * 86400, chunk_bytes: int = CHUNK_BYTES) -> None:
        self._table = table
        self._client = client
        self._keep_s = keep_s
        self._chunk = chunk_bytes

    def get(self, key: str) -> CacheEntry | None:
        head = self._client.get_item(TableName=self._table, Key={KEY: {"S": key}}, ConsistentRead=True).get("Item")
        if head is None or float(head["expires_at"]["N"]) < time.time():
            return None
        chunks = int(head["chunks"]["N"])
        if chunks == 1:
            body = head["body"]["B"]
        else:
            body = self._read_chunks(key, head["version"]["S"], chunks)
            if body is None:
                return None
        return CacheEntry(
            value=codec.decode(body), source=head["source"]["S"], fetched_at=float(head["fetched_at"]["N"])
        )

    def _read_chunks(self, key: str, version: str, chunks: int) -> bytes | None:
        keys = [{KEY: {"S": _chunk_key(key, version, i)}} for i in range(chunks)]
        found: dict[str, bytes] = {}
        request = {self._table: {"Keys": keys, "ConsistentRead": True}}
        for _ in range(5):  # BatchGetItem may hand back unprocessed keys under load; retry those
            response = self._client.batch_get_item(RequestItems=request)
            for item in response["Responses"].get(self._table, []):
                found[item[KEY]["S"]] = item["body"]["B"]
            request = response.get("UnprocessedKeys") or {}
            if not request:
                break
        parts = [found.get(_chunk_key(key, version, i)) for i in range(chunks)]
        if any(part is None for part in parts):
            logger.warning("cached part incomplete; treated as a miss", extra={"cache_key": key})
            return None
        return b"".join(parts)  # type: ignore[arg-type]

    def put(self, key: str, entry: CacheEntry) -> None:
        body = codec.encode(entry.value)
        expires = str(int(entry.fetched_at + self._keep_s))
        pieces = [body[i : i + self._chunk] for i in range(0, len(body), self._chunk)] or [b""]
        head: dict[str, Any] = {
            KEY: {"S": key},
            "source": {"S": entry.source},
            "fetched_at": {"N": repr(entry.fetched_at)},
            "expires_at": {"N": expires},
            "chunks": {"N": str(len(pieces))},
            "bytes": {"N": str(len(body))},
        }
        if len(pieces) == 1:
            head["body"] = {"B": body}
        else:
            # Chunks first, under a fresh version, and the head that names them last: a reader sees
            # either the old complete copy or the new one, never a head whose chunks are not there.
            version = uuid.uuid4().hex
            head["version"] = {"S": version}
            for i, piece in enumerate(pieces):
                self._client.put_item(
                    TableName=self._table,
                    Item={KEY: {"S": _chunk_key(key, version, i)}, "body": {"B": piece}, "expires_at": {"N": expires}},
                )
        try:
            # Keep the newest copy when two processes fetched the same part at about the same time.
            self._client.put_item(
                TableName=self._table,
                Item=head,
                ConditionExpression="attribute_not_exists(#k) OR fetched_at <= :f",
                ExpressionAttributeNames={"#k": KEY},
                ExpressionAttributeValues={":f": head["fetched_at"]},
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            logger.debug("a newer copy is cached already", extra={"cache_key": key})


def _chunk_key(key: str, version: str, index: int) -> str:
    return f"{key}#chunk#{version}#{index}"
