"""A move plan's fixes while it is a draft: which fixes the engineer left out, and the steps planned from
them (kept beside the draft, keyed by its id, until it is submitted or cancelled).

Every planning of the draft (the first one, one after the engineer changed the fixes, one started again
after a restart) is a new revision. The plan card carries the revision it shows; asking for approval
takes the fix draft only if it is still that revision and fully planned, so a submission always carries
exactly the plan the engineer saw. Every change is a compare-and-swap on the stored record: of a re-plan
and a submission, or of two clicks, exactly one wins.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from migration.model import DryRun, GroupMove
from migration.model.codec import decode, to_json
from migration.model.plan import ChosenFix, PlanStep
from migration.model.store import ConcurrencyError, DocumentStore

FIX_DRAFTS = "fixdrafts"
_ATTEMPTS = 5  # a new revision retried against concurrent writers (each retry sees a newer record)


@dataclass(frozen=True, slots=True)
class FixDraft:
    skip: tuple[str, ...] = ()  # FixAction values the engineer left out
    steps: tuple[PlanStep, ...] = ()
    manual: tuple[ChosenFix, ...] = ()
    offered: tuple[str, ...] = ()  # the actions the plan card offers
    left_out: tuple[str, ...] = ()  # groups dropped from the plan because a fix they need was left out
    held: tuple[str, ...] = ()  # groups dropped because a fix they need before the move must be done by hand
    groups: tuple[GroupMove, ...] = ()  # the groups as they stand once the in-subscription fixes ran
    dry_runs: tuple[DryRun, ...] = ()  # Azure's dry run the steps were planned with
    revision: int = 0  # the latest planning started
    planned: int = 0  # the revision the plan above is for: below `revision` while a planning runs
    edited_by: tuple[str, ...] = ()  # who started a planning of it (person ids): none of them may approve it

    @property
    def ready(self) -> bool:
        return self.planned == self.revision


class PlanChanged(Exception):
    """The draft is not the revision that was expected (re-planned, being re-planned, submitted, cancelled)."""


class FixDrafts:
    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    async def read(self, request_id: str) -> tuple[FixDraft, str | None]:
        """The fix draft and its etag (None when there is none)."""
        record = await self._store.get(FIX_DRAFTS, _key(request_id))
        if record is None:
            return FixDraft(), None
        return decode(FixDraft, record.value), record.etag

    async def get(self, request_id: str) -> FixDraft:
        return (await self.read(request_id))[0]

    async def begin(self, request_id: str, *, seen: int | None = None, skip: tuple[str, ...] | None = None,
                    by: str | None = None) -> FixDraft:
        """Start a new revision (with a new choice of fixes, when `skip` is given). With `seen`, only if the
        draft is still that revision and fully planned (the engineer changes what they see); without it,
        whatever the draft's state (planning again after an interruption). Raises PlanChanged."""
        for _ in range(_ATTEMPTS):
            current, etag = await self.read(request_id)
            if seen is not None and (etag is None or current.revision != seen or not current.ready):
                raise PlanChanged(request_id)
            editors = current.edited_by if by is None or by in current.edited_by else (*current.edited_by, by)
            started = replace(current, revision=current.revision + 1,
                              skip=current.skip if skip is None else skip, edited_by=editors)
            try:
                await self._store.put(FIX_DRAFTS, _key(request_id), to_json(started), etag=etag or "")
            except ConcurrencyError:
                if seen is not None:
                    raise PlanChanged(request_id) from None
                continue
            return started
        raise PlanChanged(request_id)

    async def finish(self, request_id: str, planned: FixDraft) -> bool:
        """Store the plan made for `planned.revision`; False when a newer planning started meanwhile, or the
        draft was submitted or cancelled (the caller shows the draft as it now stands)."""
        current, etag = await self.read(request_id)
        if etag is None or current.revision != planned.revision:
            return False
        done = replace(planned, skip=current.skip, planned=planned.revision)
        try:
            await self._store.put(FIX_DRAFTS, _key(request_id), to_json(done), etag=etag)
        except ConcurrencyError:
            return False
        return True

    async def take(self, request_id: str, revision: int) -> FixDraft:
        """Remove the draft to submit it, only if it is fully planned at `revision`. Raises PlanChanged."""
        current, etag = await self.read(request_id)
        if etag is None or current.revision != revision or not current.ready:
            raise PlanChanged(request_id)
        try:
            await self._store.delete(FIX_DRAFTS, _key(request_id), etag=etag)
        except (ConcurrencyError, KeyError) as exc:
            raise PlanChanged(request_id) from exc
        return current

    async def discard(self, request_id: str) -> None:
        await self._store.delete(FIX_DRAFTS, _key(request_id))


def _key(request_id: str) -> str:
    return request_id.strip().upper()
