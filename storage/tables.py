"""The scale-out backend: Azure Table Storage, one table per collection, etags for compare-and-swap.

Layout of an entity, and why:
- One table `<prefix><collection>`, created on first write (reads of a missing table find nothing).
- One partition per table (`PartitionKey` = "doc"): `list` must return keys in order with a limit,
  and Table Storage only orders rows within a partition. One partition serves thousands of
  operations a second, far more than a chat bot's traffic.
- `RowKey` = the key, escaped (see `encode_key`): keys contain `/` and other characters Table Storage
  forbids in keys, and the escape keeps the order of keys and their prefixes.
- The JSON value split across string properties `v0`, `v1`, ...: one string property holds at most
  64 KiB (32,768 UTF-16 code units), one entity 1 MiB in all.
"""

from __future__ import annotations

import json
import re
from typing import Any

from azure.core import MatchConditions
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import (
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.core.pipeline import PipelineResponse
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient

from migration.model.store import ConcurrencyError, Record

PARTITION = "doc"
# 16,384 code points are at most 32,768 UTF-16 code units (two for a character outside the BMP),
# which is the 64 KiB a string property may hold.
CHUNK = 16_384
# An entity may be 1 MiB including keys, property names and system properties; keep some room.
MAX_VALUE_BYTES = 1_000_000
MAX_KEY_CHARS = 1024
_NAME = re.compile(r"^[A-Za-z0-9]+$")

# ---------------------------------------------------------------------------------------------------
# Key escaping.
#
# Table Storage forbids `/ \ # ?` and control characters in keys (and `%` breaks some of its URL
# handling). Percent-style escapes would reorder keys ('/' is 0x2F but '%2F' sorts with '%'), so each
# character that cannot stand for itself is written after the nearest allowed character below it,
# followed by its code point in fixed-width hex: '/' -> '.2F', '.' -> '.2E', 'é' -> '~0000E9'. Such a
# leader then always takes the escaped form, which makes the code prefix-free and monotonic: encoded
# keys compare (as ASCII) exactly as the keys compare by code point, and `key.startswith(p)` holds
# exactly when `encode_key(key).startswith(encode_key(p))`. Ordinary letters, digits, '-', ':', '+',
# '@' and '_' stay as they are, so keys stay readable in Storage Explorer.
# ---------------------------------------------------------------------------------------------------
_FORBIDDEN = set("/\\#?%")
_ALLOWED = [chr(c) for c in range(0x20, 0x7F) if chr(c) not in _FORBIDDEN]


def _leader(code: int) -> str:
    if code < 0x20:
        return " "  # control characters sort below every allowed character: they go with the lowest
    if code >= 0x7E:
        return "~"  # DEL, C1 controls and everything beyond ASCII go with the highest
    return max(a for a in _ALLOWED if ord(a) <= code)


# Leaders that stand for more than themselves -> hex digits after them: ' " $ . > [ (2) and ~ (6).
_WIDTH = {_leader(c): 2 for c in range(0x7E) if c < 0x20 or chr(c) in _FORBIDDEN} | {"~": 6}
_ENCODE = {chr(c): lead + f"{c:0{_WIDTH[lead]}X}" if (lead := _leader(c)) in _WIDTH else lead for c in range(0x7E)}


def encode_key(key: str) -> str:
    """A document key -> a RowKey that Table Storage accepts, in the same order (see above)."""
    return "".join(_ENCODE.get(ch) or f"~{ord(ch):06X}" for ch in key)


def decode_key(row_key: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(row_key):
        ch = row_key[i]
        width = _WIDTH.get(ch)
        if width is None:
            out.append(ch)
            i += 1
        else:
            out.append(chr(int(row_key[i + 1 : i + 1 + width], 16)))
            i += 1 + width
    return "".join(out)


def _prefix_upper_bound(encoded: str) -> str | None:
    """A string above every string that starts with `encoded` and below all others (None: no bound).

    Encoded keys use only ' ' .. '~', so raising the last character that is not '~' is enough."""
    stripped = encoded.rstrip("~")
    return stripped[:-1] + chr(ord(stripped[-1]) + 1) if stripped else None


# ---------------------------------------------------------------------------------------------------


def _split(value: dict[str, Any]) -> tuple[dict[str, Any], str]:
    body = json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    size = len(body.encode("utf-16-le"))  # the unit Table Storage counts string sizes in
    if size > MAX_VALUE_BYTES:
        raise ValueError(f"value of {size} bytes is too large for Azure Table Storage (at most {MAX_VALUE_BYTES})")
    parts = [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)] or [""]
    return {"n": len(parts), **{f"v{i}": part for i, part in enumerate(parts)}}, body


def _join(entity: dict[str, Any]) -> dict[str, Any]:
    value: dict[str, Any] = json.loads("".join(entity[f"v{i}"] for i in range(int(entity["n"]))))
    return value


def table_endpoint(target: str) -> str:
    """`<account>` -> the account's public Table endpoint; `<host[:port]>/<account>` -> that address
    (an emulator, or another cloud's domain), always https: the SDK sends tokens over nothing else."""
    host, _, account = target.partition("/")
    return f"https://{host}/{account}" if account else f"https://{host}.table.core.windows.net"


class TableDocumentStore:
    """`DocumentStore` on Azure Table Storage (or Azurite). Same contract as `SqliteDocumentStore`.

    Reached with a connection string (account key: Azurite, older set-ups), or with an Entra ID token
    credential at `endpoint` (the managed identity in Azure: no key to leak or rotate)."""

    def __init__(
        self,
        connection_string: str | None = None,
        *,
        prefix: str = "cspbot",
        endpoint: str | None = None,
        credential: AsyncTokenCredential | None = None,
        **client_options: Any,
    ) -> None:
        if not _NAME.match(prefix) or not prefix[0].isalpha():
            raise ValueError(f"table prefix {prefix!r} must be letters and digits, starting with a letter")
        self.prefix = prefix
        self._credential = credential
        if connection_string:
            self._service = TableServiceClient.from_connection_string(connection_string, **client_options)
        elif endpoint and credential is not None:
            self._service = TableServiceClient(endpoint, credential=credential, **client_options)
        else:
            raise ValueError("Table Storage needs a connection string, or an endpoint and a token credential")
        self._tables: dict[str, TableClient] = {}
        self._created: set[str] = set()

    def _table(self, collection: str) -> TableClient:
        client = self._tables.get(collection)
        if client is None:
            # Table names are letters and digits only (3-63, case-insensitive): collections are code
            # constants, so a name that cannot map one-to-one is a programming error.
            name = self.prefix + collection
            if not _NAME.match(collection) or len(name) > 63:
                raise ValueError(f"collection {collection!r} must be letters and digits (Azure table name {name!r})")
            client = self._service.get_table_client(name)
            self._tables[collection] = client
        return client

    async def _writable(self, collection: str) -> TableClient:
        client = self._table(collection)
        if collection not in self._created:
            await self._service.create_table_if_not_exists(client.table_name)
            self._created.add(collection)
        return client

    async def get(self, collection: str, key: str) -> Record | None:
        try:
            entity = await self._table(collection).get_entity(PARTITION, _row_key(key))
        except ResourceNotFoundError:  # no such entity, or no such table yet
            return None
        return Record(key, _join(entity), entity.metadata["etag"])

    async def put(self, collection: str, key: str, value: dict[str, Any], *, etag: str | None = None) -> Record:
        properties, body = _split(value)
        entity = {"PartitionKey": PARTITION, "RowKey": _row_key(key), **properties}
        table = await self._writable(collection)
        try:
            if etag is None:
                meta = await table.upsert_entity(entity, mode=UpdateMode.REPLACE)
            elif etag == "":
                meta = await table.create_entity(entity)
            else:
                # REPLACE, not MERGE: a shorter value must not keep the old value's extra chunks.
                meta = await table.update_entity(
                    entity, mode=UpdateMode.REPLACE, etag=etag, match_condition=MatchConditions.IfNotModified
                )
        except (ResourceExistsError, ResourceModifiedError, ResourceNotFoundError) as error:
            raise ConcurrencyError(f"{collection}/{key} changed since it was read") from error
        return Record(key, json.loads(body), meta["etag"])

    async def delete(self, collection: str, key: str, *, etag: str | None = None) -> None:
        statuses: list[int] = []

        def record_status(response: PipelineResponse[Any, Any]) -> None:
            statuses.append(response.http_response.status_code)

        condition = MatchConditions.Unconditionally if etag is None else MatchConditions.IfNotModified
        try:
            # The SDK treats 404 as success; with an etag, a vanished record is a lost race, so the
            # status is taken from the response hook.
            await self._table(collection).delete_entity(
                PARTITION, _row_key(key), etag=etag, match_condition=condition, raw_response_hook=record_status
            )
        except (ResourceModifiedError, ResourceNotFoundError) as error:
            raise ConcurrencyError(f"{collection}/{key} changed since it was read") from error
        if etag is not None and statuses and statuses[-1] == 404:
            raise ConcurrencyError(f"{collection}/{key} no longer exists")

    async def list(self, collection: str, *, prefix: str = "", limit: int | None = None) -> list[Record]:
        if limit is not None and limit <= 0:
            return []
        lower = encode_key(prefix)
        upper = _prefix_upper_bound(lower)
        query = f"PartitionKey eq '{PARTITION}'"
        parameters: dict[str, Any] = {}
        if lower:
            query += " and RowKey ge @lower"
            parameters["lower"] = lower
        if upper is not None:
            query += " and RowKey lt @upper"
            parameters["upper"] = upper
        pages = self._table(collection).query_entities(
            query, parameters=parameters, results_per_page=min(limit, 1000) if limit else None
        )
        records: list[Record] = []
        try:
            async for entity in pages:
                records.append(Record(decode_key(entity["RowKey"]), _join(entity), entity.metadata["etag"]))
                if limit is not None and len(records) >= limit:
                    break
        except ResourceNotFoundError:  # the collection's table does not exist yet
            return []
        return records

    async def close(self) -> None:
        for table in self._tables.values():
            await table.close()
        self._tables.clear()
        await self._service.close()
        if self._credential is not None:
            await self._credential.close()


def _row_key(key: str) -> str:
    encoded = encode_key(key)
    if len(encoded) > MAX_KEY_CHARS:
        raise ValueError(f"key is too long for Azure Table Storage ({len(encoded)} characters once escaped)")
    return encoded
