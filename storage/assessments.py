"""The latest assessment of each subscription, as the chat needs it: groups and findings, without the
per-resource inventory (that goes into the report export). Written by whichever process assessed."""

from __future__ import annotations

from typing import Any

from migration.model import Assessment
from migration.model.codec import decode, to_json
from migration.model.links import ReportLink
from migration.model.store import DocumentStore
from storage.chunks import get_large, put_large

ASSESSMENTS = "assessments"


def key(tenant_id: str, subscription_id: str) -> str:
    return f"{tenant_id.lower()}/{subscription_id.lower()}"


async def save(store: DocumentStore, assessment: Assessment, *, report: ReportLink | None = None) -> None:
    """The compact assessment. Of its export's link only when it expires is kept, never the token: the link
    is handed once, on the assessment's card, and the store holds nothing that opens it."""
    compact = to_json(assessment)
    compact["resources"] = []
    if report is not None:
        compact["report"] = {"expiresAt": report.expires_at.isoformat()}
    await put_large(store, ASSESSMENTS, key(assessment.tenant_id, assessment.source.id), compact)


async def load_raw(store: DocumentStore, tenant_id: str, subscription_id: str) -> dict[str, Any] | None:
    return await get_large(store, ASSESSMENTS, key(tenant_id, subscription_id))


async def load(store: DocumentStore, tenant_id: str, subscription_id: str) -> Assessment | None:
    stored = await load_raw(store, tenant_id, subscription_id)
    return decode(Assessment, stored) if stored else None


class StoredAssessments:
    """The latest assessments in the document store, as the application's `LatestAssessments` port."""

    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    async def save(self, assessment: Assessment, *, report: ReportLink | None = None) -> None:
        await save(self._store, assessment, report=report)

    async def load(self, tenant_id: str, subscription_id: str) -> Assessment | None:
        return await load(self._store, tenant_id, subscription_id)

    async def report(self, tenant_id: str, subscription_id: str) -> ReportLink | None:
        """None: the export's token is not kept (see `save`); a later look at the assessment has no link."""
        return None
