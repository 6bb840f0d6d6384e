"""The audit trail of move requests: append-only entries, one per decision, refusal, claim and step."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from migration.execution.stored import AUDIT, Clock, audit_from_json, audit_to_json, normalize_id
from migration.model import Person
from migration.model.records import AuditEntry
from migration.model.store import DocumentStore


class AuditTrail:
    def __init__(self, store: DocumentStore, *, clock: Clock) -> None:
        self._store = store
        self._now = clock

    async def append(
        self,
        request_id: str,
        action: str,
        *,
        by: Person | None,
        tenant_id: str | None,
        detail: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """Append one entry. The key is unique and the write is insert-only, so nothing is overwritten."""
        entry = AuditEntry(request_id, action, self._now(), by, tenant_id, dict(detail or {}))
        key = f"{request_id}/{entry.at.isoformat()}/{uuid.uuid4().hex}"
        await self._store.put(AUDIT, key, audit_to_json(entry), etag="")
        return entry

    async def entries(self, request_id: str) -> list[AuditEntry]:
        records = await self._store.list(AUDIT, prefix=normalize_id(request_id) + "/")
        return [audit_from_json(r.value) for r in records]
