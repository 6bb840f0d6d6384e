"""A plan's fix draft is planned one revision at a time, each change a compare-and-swap: a submission takes
only the revision the engineer saw, fully planned; a planning that a newer one overtook stores nothing."""

from __future__ import annotations

import asyncio

import pytest

from migration.planning.revisions import FixDrafts, PlanChanged
from storage import SqliteDocumentStore


async def test_a_stale_or_unfinished_revision_is_never_taken(store: SqliteDocumentStore):
    drafts = FixDrafts(store)
    first = await drafts.begin("MR-1")  # the first planning
    assert (first.revision, first.planned) == (1, 0)
    with pytest.raises(PlanChanged):
        await drafts.take("MR-1", 1)  # still being planned
    assert await drafts.finish("MR-1", first)
    with pytest.raises(PlanChanged):
        await drafts.begin("MR-1", seen=0, skip=("register_provider",))  # a card older than the plan
    second = await drafts.begin("MR-1", seen=1, skip=("register_provider",))
    assert (second.revision, second.planned, second.skip) == (2, 1, ("register_provider",))
    with pytest.raises(PlanChanged):
        await drafts.begin("MR-1", seen=1, skip=())  # the same card clicked again: already being planned
    with pytest.raises(PlanChanged):
        await drafts.take("MR-1", 1)  # the old card's submission
    third = await drafts.begin("MR-1")  # planning started over (a restart): the second is overtaken
    assert not await drafts.finish("MR-1", second)
    assert await drafts.finish("MR-1", third)
    taken = await drafts.take("MR-1", 3)
    assert taken.skip == ("register_provider",) and taken.ready
    with pytest.raises(PlanChanged):
        await drafts.take("MR-1", 3)  # a second click
    assert not await drafts.finish("MR-1", third)  # submitted: nothing comes back
    assert (await drafts.read("MR-1"))[1] is None


async def test_of_two_concurrent_changes_exactly_one_wins(store: SqliteDocumentStore):
    drafts = FixDrafts(store)
    assert await drafts.finish("MR-2", await drafts.begin("MR-2"))

    async def attempt(kind: str) -> str:
        try:
            if kind == "take":
                await drafts.take("MR-2", 1)
            else:
                await drafts.begin("MR-2", seen=1, skip=(kind,))
        except PlanChanged:
            return "lost"
        return "won"

    outcomes = await asyncio.gather(attempt("take"), attempt("a"), attempt("b"), attempt("take"))
    assert outcomes.count("won") == 1
