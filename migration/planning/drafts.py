"""Move plans before they are submitted: the draft a requester builds (its groups; Azure's dry run and the
steps planned from it live in `migration.planning.revisions`, one revision at a time).

A draft is the plan of one engineer; submitting hands it to the workflow, which owns approvals and the
move itself. Every change is a compare-and-swap, so of two clicks on the same plan (submit twice, submit
and cancel) exactly one wins and the other learns the plan is gone.
"""

from __future__ import annotations

from dataclasses import dataclass

from migration.model import DryRun, MoveRequest
from migration.model.codec import decode, to_json
from migration.model.store import ConcurrencyError, DocumentStore

DRAFTS = "drafts"


@dataclass(frozen=True, slots=True)
class Draft:
    request: MoveRequest
    dry_runs: tuple[DryRun, ...]
    etag: str


class DraftGone(Exception):
    """The plan was submitted or cancelled meanwhile."""


class Drafts:
    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    async def create(self, request: MoveRequest) -> Draft:
        record = await self._store.put(DRAFTS, request.id, _value(request, ()), etag="")
        return Draft(request, (), record.etag)

    async def get(self, request_id: str) -> Draft | None:
        key = request_id.strip().upper()
        if not key:
            return None
        record = await self._store.get(DRAFTS, key)
        if record is None:
            return None
        request = decode(MoveRequest, record.value["request"])
        dry_runs = tuple(decode(DryRun, d) for d in record.value.get("dryRuns", []))
        return Draft(request, dry_runs, record.etag)

    async def take(self, draft: Draft) -> None:
        """Remove the plan as it was read, to submit it; DraftGone when another click was first."""
        try:
            await self._store.delete(DRAFTS, draft.request.id, etag=draft.etag)
        except ConcurrencyError as exc:
            raise DraftGone(draft.request.id) from exc

    async def discard(self, request_id: str) -> None:
        """Cancel the plan, whatever happened to it meanwhile (a dry run finishing loses to a cancel)."""
        await self._store.delete(DRAFTS, request_id.strip().upper())


def _value(request: MoveRequest, dry_runs: tuple[DryRun, ...]) -> dict[str, object]:
    return {"request": to_json(request), "dryRuns": [to_json(d) for d in dry_runs]}
