"""`audit export <request id>` and `audit export <tenant>`: the audit trail as a file an auditor checks
without the bot. JSON Lines: first a manifest (what was exported, when, by whom, and each chain's entry count
and head hash), then every entry of those chains in chain order with its place and hashes
(migration.execution.audit). `python -m tools.verify_audit FILE` recomputes every hash and link.

The export itself is recorded on each chain it covers, after the file is made (so the file's heads are the
chains as they stood when it was read).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from migration.application.ports import Clock, ReportArchive, utc_now
from migration.execution.audit import AuditTrail, Link, heads, tenant_chain
from migration.execution.stored import normalize_id
from migration.execution.workflow import Workflow
from migration.model import Person
from migration.model.links import ReportLink

FORMAT = "cspbot-audit/1"
_MAX_REQUESTS = 10_000  # a tenant's requests read for its export


@dataclass(frozen=True, slots=True)
class AuditExport:
    subject: str  # the request id, or the tenant
    link: ReportLink
    chains: dict[str, dict[str, Any]]  # chain -> {"entries", "head"}
    entries: int


class AuditExports:
    def __init__(self, workflow: Workflow, *, archive: ReportArchive, clock: Clock = utc_now) -> None:
        self._workflow = workflow
        self._trail: AuditTrail = workflow.trail
        self._archive = archive
        self._clock = clock

    async def of_request(self, request_id: str, *, by: Person, tenant_id: str | None) -> AuditExport | None:
        """The request's chain (None when there is no such request or nothing was recorded for it)."""
        stored = await self._workflow.get(request_id)
        chain = normalize_id(request_id)
        if stored is not None:
            await self._workflow.complete_audit(stored)  # a decision a crash left half-written: in the file too
        links = await self._trail.chain(chain)
        if not links:
            return None
        return await self._export("request", chain, [chain], links, by=by, tenant_id=tenant_id)

    async def of_tenant(self, customer: str, *, by: Person, tenant_id: str | None) -> AuditExport | None:
        """Every chain of a customer tenant: its own (reads outside a request) and each of its requests'."""
        wanted = customer.strip().lower()
        requests = [s for s in await self._workflow.history(limit=_MAX_REQUESTS)
                    if s.request.tenant_id.lower() == wanted]
        names = [tenant_chain(wanted), *sorted(s.id for s in requests)]
        links: list[Link] = []
        for stored in requests:
            await self._workflow.complete_audit(stored)
        for name in names:
            links += await self._trail.chain(name)
        if not links:
            return None
        return await self._export("tenant", wanted, names, links, by=by, tenant_id=tenant_id)

    async def _export(self, scope: str, subject: str, names: Sequence[str], links: list[Link], *, by: Person,
                      tenant_id: str | None) -> AuditExport:
        at = self._clock()
        chains = heads(links)
        manifest = {"format": FORMAT, "scope": scope, "subject": subject, "exported_at": at.isoformat(),
                    "exported_by": {"id": by.id, "name": by.name}, "chains": chains, "entries": len(links),
                    "verify": "python -m tools.verify_audit FILE"}
        lines = [json.dumps({"manifest": manifest}, sort_keys=True, ensure_ascii=False)]
        lines += [json.dumps(dict(link.stored), sort_keys=True, ensure_ascii=False) for link in links]
        link = await self._archive.create_audit(f"audit-{_file_part(subject)}-{_stamp(at)}", "\n".join(lines) + "\n",
                                                chain=names[0])
        for name in names:
            if name in chains:
                await self._trail.append(name, "audit_exported", by=by, tenant_id=tenant_id,
                                         detail={"scope": scope, "subject": subject, "head": chains[name]["head"]})
        return AuditExport(subject, link, chains, len(links))


def _stamp(at: datetime) -> str:
    return at.strftime("%Y%m%d-%H%M")


def _file_part(subject: str) -> str:
    return "".join(c if c.isalnum() or c in "-." else "-" for c in subject)[:64]
