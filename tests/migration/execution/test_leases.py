"""Leases on move requests against the real SQLite store: one runner at a time, taken over when it lapses."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from migration.execution.leases import LeaseLost
from migration.execution.workflow import Workflow
from tests.support.moves import approver_actor, submit_sample


async def test_a_lease_is_exclusive_until_it_lapses(workflow: Workflow):
    stored = await submit_sample(workflow)
    assert await workflow.claimable() == []
    await workflow.approve(stored.id, approver_actor)
    assert await workflow.claimable() == [stored.id]
    claims = await asyncio.gather(*(workflow.claim(stored.id, f"r{i}", lease_seconds=0.4) for i in range(5)))
    winners = [c for c in claims if c is not None]
    assert len(winners) == 1
    owner = winners[0].lease.owner  # type: ignore[union-attr]
    assert await workflow.claimable() == []
    await asyncio.sleep(0.5)
    assert await workflow.claimable() == [stored.id], "a lapsed lease makes the request claimable again"
    taken = await workflow.claim(stored.id, "r-new", lease_seconds=30)
    assert taken is not None and taken.lease is not None and taken.lease.owner == "r-new"
    with pytest.raises(LeaseLost):
        await workflow.update(stored.id, lambda s: replace(s, validated=("x",)), owner=owner)
    assert [e.action for e in await workflow.audit_trail(stored.id)][-2:] == ["claimed", "resumed"]
