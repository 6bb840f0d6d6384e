"""A move plan's fixes while it is a draft: which fixes the engineer left out, and the steps planned from
them (kept beside the draft, keyed by its id, until it is submitted or cancelled)."""

from __future__ import annotations

from dataclasses import dataclass

from migration.codec import decode, to_json
from migration.model import GroupMove
from migration.plansteps import ChosenFix, PlanStep
from migration.ports import DocumentStore

FIX_DRAFTS = "fixdrafts"


@dataclass(frozen=True, slots=True)
class FixDraft:
    skip: tuple[str, ...] = ()  # FixAction values the engineer left out
    steps: tuple[PlanStep, ...] = ()
    manual: tuple[ChosenFix, ...] = ()
    offered: tuple[str, ...] = ()  # the actions the plan card offers
    left_out: tuple[str, ...] = ()  # groups dropped from the plan because a fix they need was left out
    groups: tuple[GroupMove, ...] = ()  # the groups as they stand once the in-subscription fixes ran


class FixDrafts:
    def __init__(self, store: DocumentStore) -> None:
        self._store = store

    async def get(self, request_id: str) -> FixDraft:
        record = await self._store.get(FIX_DRAFTS, request_id.strip().upper())
        return decode(FixDraft, record.value) if record is not None else FixDraft()

    async def put(self, request_id: str, draft: FixDraft) -> None:
        await self._store.put(FIX_DRAFTS, request_id.strip().upper(), to_json(draft))

    async def discard(self, request_id: str) -> None:
        await self._store.delete(FIX_DRAFTS, request_id.strip().upper())
