"""Reports behind unguessable, expiring download links (`GET /reports/{token}.csv|.json|.md`): the
assessment export, the move report, and single documents such as a delegation template.

A report is rendered once, when its link is made, and stored as text (storage.chunks); the small index
record (collection "reportindex") is written last, so a token resolves only once every part is there, and
each new report sweeps the expired ones, so nothing outlives its link for long. Only the token's SHA-256 is
kept (the key of the index and of the texts): whoever reads the store cannot make a working link from it.
The index names the audit chain a download of it is recorded on (the request's, or the customer tenant's)."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from migration.execution.audit import tenant_chain
from migration.model import Assessment
from migration.model.links import ReportLink
from migration.model.store import DocumentStore
from migration.reports.assessment_export import to_csv, to_json
from migration.reports.move import MoveReport
from migration.reports.move_export import RENDERERS as MOVE_RENDERERS
from storage.chunks import delete_large, get_text, put_text

FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json",
           "md": "text/markdown; charset=utf-8", "jsonl": "application/x-ndjson; charset=utf-8"}
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


@dataclass(frozen=True, slots=True)
class RenderedReport:
    content: str
    media_type: str
    filename: str
    chain: str  # the audit chain its downloads are recorded on ("" for a document of no customer's data)
    expires_at: datetime


def token_hash(token: str) -> str:
    """What the store keeps of a link's token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ReportLinks:
    COLLECTION = "reports"
    INDEX = "reportindex"

    def __init__(self, store: DocumentStore, *, ttl: timedelta = timedelta(hours=24),
                 clock: Callable[[], datetime] = _utcnow) -> None:
        self._store = store
        self._ttl = ttl
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    async def create(self, assessment: Assessment) -> ReportLink:
        """The assessment export (CSV and JSON)."""
        stamp = (assessment.assessed_at or self._clock()).strftime("%Y%m%d-%H%M")
        return await self.create_files(f"assessment-{assessment.source.id[:8]}-{stamp}",
                                       {"csv": lambda: to_csv(assessment), "json": lambda: to_json(assessment)},
                                       chain=tenant_chain(assessment.tenant_id))

    async def create_move(self, report: MoveReport) -> ReportLink:
        """The move report (CSV, JSON and Markdown)."""
        stamp = report.generated_at.strftime("%Y%m%d-%H%M")
        return await self.create_files(f"move-{report.request_id}-{stamp}",
                                       {fmt: (lambda r=render: r(report)) for fmt, render in MOVE_RENDERERS.items()},
                                       chain=report.request_id)

    async def create_document(self, name: str, text: str) -> ReportLink:
        """A JSON document (such as a delegation template) behind the same kind of expiring link."""
        return await self.create_files(name, {"json": lambda: text})

    async def create_audit(self, name: str, text: str, *, chain: str) -> ReportLink:
        """An audit export (JSON Lines: its manifest, then the entries)."""
        return await self.create_files(name, {"jsonl": lambda: text}, chain=chain)

    async def create_files(self, filename: str, renders: Mapping[str, Callable[[], str]], *,
                           chain: str = "") -> ReportLink:
        """Store each format's text under a new token's hash (rendered one at a time: a 50,000-resource export
        is never held twice), then the index record that makes the token resolve."""
        await self.purge_expired()
        token = secrets.token_urlsafe(32)
        key = token_hash(token)
        expires = self._clock() + self._ttl
        for fmt, render in renders.items():
            await put_text(self._store, self.COLLECTION, f"{key}.{fmt}", render())
        await self._store.put(self.INDEX, key, {"expiresAt": expires.isoformat(), "filename": filename,
                                                "chain": chain})
        return ReportLink(token, expires)

    async def resolve(self, token: str, fmt: str) -> RenderedReport | None:
        """The report, or None when the token or format is unknown or the link expired."""
        if fmt not in FORMATS or not _TOKEN.match(token):
            return None
        key = token_hash(token)
        index = await self._store.get(self.INDEX, key)
        if index is None:
            return None
        expires = datetime.fromisoformat(index.value["expiresAt"])
        if expires <= self._clock():
            await self._forget(key)
            return None
        text = await get_text(self._store, self.COLLECTION, f"{key}.{fmt}")
        if text is None:
            return None
        return RenderedReport(text, FORMATS[fmt], f"{index.value['filename']}.{fmt}",
                              str(index.value.get("chain") or ""), expires)

    async def purge_expired(self) -> int:
        """Delete every report whose link has expired; returns how many."""
        now = self._clock()
        expired = [r.key for r in await self._store.list(self.INDEX)
                   if datetime.fromisoformat(r.value["expiresAt"]) <= now]
        for token in expired:
            await self._forget(token)
        return len(expired)

    async def _forget(self, key: str) -> None:
        await self._store.delete(self.INDEX, key)  # first: the link stops resolving at once
        for fmt in FORMATS:
            await delete_large(self._store, self.COLLECTION, f"{key}.{fmt}")
