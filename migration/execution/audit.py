"""The audit trail: append-only and hash-chained, one chain per move request (its id) and one per customer
tenant (what was read of it outside a request: attach, assess, exports, downloads).

Each entry carries its chain's name, its place in it (`seq`, from 1), the hash of the entry before it
(`prev`; 64 zeros for the first) and its own `hash`: SHA-256 of the entry's canonical JSON without `hash`
(migration.model.digest). Editing, removing or reordering an entry breaks the chain from there on, which
`python -m tools.verify_audit` shows without the bot.

Writes are insert-only under the key "{chain}/{seq}": of two writers racing for the same place one wins and
the other takes the next, so the chain never forks. The chain's head (collection `audithead`) is only a hint
that saves reading the chain; a head left behind by a crash is caught up on the next append.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from migration.execution.stored import AUDIT, Clock, audit_from_json, normalize_id
from migration.model import Person
from migration.model.codec import decode, to_json
from migration.model.digest import digest
from migration.model.records import AuditEntry
from migration.model.store import ConcurrencyError, DocumentStore

TRAIL = "trail"  # key = "{chain}/{seq:010d}": the chained entries
HEADS = "audithead"  # key = chain: {"seq", "hash"} of its newest entry (a hint)
LEGACY = AUDIT  # entries written before the chain (key "{request id}/{time}/{uuid}"): read, never written
GENESIS = "0" * 64
_ATTEMPTS = 1000  # places taken by racing writers before giving up (a handful in practice)


def tenant_chain(tenant_id: str) -> str:
    """The chain of what was read or exported of a customer tenant outside a move request."""
    return f"tenant:{tenant_id.strip().lower()}"


@dataclass(frozen=True, slots=True)
class Link:
    """One entry as the chain holds it (and the export writes it): the entry, its place, and both hashes."""

    chain: str
    seq: int
    prev: str
    hash: str
    entry: AuditEntry
    stored: Mapping[str, Any]  # exactly as the store holds it: what an export writes, never sealed again


def sealed(entry: AuditEntry, *, chain: str, seq: int, prev: str) -> dict[str, Any]:
    """The entry's JSON with its place and both hashes."""
    value: dict[str, Any] = {**to_json(entry), "chain": chain, "seq": seq, "prev": prev}
    value["hash"] = digest(value)
    return value


def _link(value: Mapping[str, Any]) -> Link:
    fields = {k: v for k, v in value.items() if k not in ("chain", "seq", "prev", "hash")}
    return Link(str(value["chain"]), int(value["seq"]), str(value["prev"]), str(value["hash"]),
                decode(AuditEntry, fields), value)


def _key(chain: str, seq: int) -> str:
    return f"{chain}/{seq:010d}"


class AuditTrail:
    def __init__(self, store: DocumentStore, *, clock: Clock) -> None:
        self._store = store
        self._now = clock

    def entry(self, chain: str, action: str, *, by: Person | None, tenant_id: str | None,
              detail: Mapping[str, Any] | None = None) -> AuditEntry:
        """A new entry of `chain` (a request id, or `tenant_chain(...)`), not written yet."""
        return AuditEntry(chain, action, self._now(), by, tenant_id, dict(detail or {}), event=uuid.uuid4().hex)

    async def append(self, chain: str, action: str, *, by: Person | None, tenant_id: str | None,
                     detail: Mapping[str, Any] | None = None) -> AuditEntry:
        """Append one entry at the end of `chain`."""
        entry = self.entry(chain, action, by=by, tenant_id=tenant_id, detail=detail)
        await self.chain_entry(entry)
        return entry

    async def chain_entry(self, entry: AuditEntry) -> Link:
        """Append `entry` at the end of its chain (its `request_id`)."""
        seq, prev = await self._head(entry.request_id)
        return await self._insert(entry, seq, prev)

    async def append_once(self, entry: AuditEntry) -> Link:
        """Append `entry` unless its event is in the chain already. Safe for several writers of one entry (a
        decision's writer and whoever completes it after a crash): exactly one appends it. Each looks at every
        place from the end of what it read of the chain, not from the head hint, so none can miss a copy."""
        links = await self.chain(entry.request_id)
        for link in links:
            if link.entry.event == entry.event:
                return link
        seq, prev = (links[-1].seq, links[-1].hash) if links else (0, GENESIS)
        return await self._insert(entry, seq, prev)

    async def _insert(self, entry: AuditEntry, seq: int, prev: str) -> Link:
        """Insert `entry` at the first free place after `seq`; a place holding the same event ends the walk."""
        name = entry.request_id
        for _ in range(_ATTEMPTS):
            value = sealed(entry, chain=name, seq=seq + 1, prev=prev)
            try:
                await self._store.put(TRAIL, _key(name, seq + 1), value, etag="")
            except ConcurrencyError:  # the place was taken: the chain goes on from that entry
                taken = await self._store.get(TRAIL, _key(name, seq + 1))
                if taken is not None:
                    if entry.event and taken.value.get("event") == entry.event:
                        return _link(taken.value)  # another writer chained this very entry
                    seq, prev = seq + 1, str(taken.value["hash"])
                continue
            await self._advance(name, seq + 1, str(value["hash"]))
            return Link(name, seq + 1, prev, str(value["hash"]), entry, value)
        raise RuntimeError(f"audit chain {name}: too much contention")

    async def chain(self, name: str) -> list[Link]:
        return [_link(r.value) for r in await self._store.list(TRAIL, prefix=name + "/")]

    async def entries(self, request_id: str) -> list[AuditEntry]:
        """A request's entries, oldest first: any written before the chain existed, then the chain."""
        chain = normalize_id(request_id)
        legacy = [audit_from_json(r.value) for r in await self._store.list(LEGACY, prefix=chain + "/")]
        return legacy + [link.entry for link in await self.chain(chain)]

    async def chains(self, prefix: str = "") -> list[str]:
        """The chains whose name starts with `prefix` (from their heads)."""
        return [r.key for r in await self._store.list(HEADS, prefix=prefix)]

    async def _head(self, name: str) -> tuple[int, str]:
        record = await self._store.get(HEADS, name)
        if record is None:
            return 0, GENESIS
        return int(record.value["seq"]), str(record.value["hash"])

    async def _advance(self, name: str, seq: int, hash_: str) -> None:
        """Move the head hint forward (never back: a slower writer that appended earlier leaves it)."""
        for _ in range(_ATTEMPTS):
            record = await self._store.get(HEADS, name)
            if record is not None and int(record.value["seq"]) >= seq:
                return
            with contextlib.suppress(ConcurrencyError):
                await self._store.put(HEADS, name, {"seq": seq, "hash": hash_},
                                      etag=record.etag if record is not None else "")
                return


def heads(links: Sequence[Link]) -> dict[str, dict[str, Any]]:
    """Each chain's count and newest hash, in the order the chains first appear."""
    out: dict[str, dict[str, Any]] = {}
    for link in links:
        out[link.chain] = {"entries": link.seq, "head": link.hash}
    return out
