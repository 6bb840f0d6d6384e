"""The move-request state machine against the real SQLite store: compare-and-swap decisions, who may
decide, the audit trail."""

from __future__ import annotations

import asyncio
import re

import pytest

from migration.execution.audit import TRAIL
from migration.execution.workflow import Workflow, WorkflowError
from migration.model import RequestState
from migration.model.records import Actor
from migration.model.store import ConcurrencyError
from storage import SqliteDocumentStore
from tests.support.moves import (
    APPROVER_PERSON,
    OTHER_APPROVER,
    REQUESTER,
    approver_actor,
    requester_actor,
    submit_sample,
)

FOREIGN_TENANT = "9b1d4a3e-0000-4000-8000-0000000000ff"


async def test_submit_stores_a_pending_request_with_a_typable_id(workflow: Workflow):
    stored = await submit_sample(workflow)
    assert re.fullmatch(r"MR-[A-Z2-9]{6}", stored.id)
    again = await workflow.get(stored.id.lower().removeprefix("mr-"))
    assert again is not None and again.request == stored.request
    assert again.state is RequestState.PENDING_APPROVAL
    assert again.checklist[0].title == "Role assignments"
    [entry] = await workflow.audit_trail(stored.id)
    assert (entry.action, entry.by, entry.tenant_id) == ("requested", REQUESTER, stored.request.decisions[0].tenant_id)


async def test_submit_refuses_a_request_without_resources(workflow: Workflow):
    with pytest.raises(WorkflowError):
        await submit_sample(workflow, groups=())


async def test_an_approver_approves_once_and_later_clicks_get_the_current_state(workflow: Workflow):
    stored = await submit_sample(workflow)
    first = await workflow.approve(stored.id, approver_actor)
    assert first.changed and first.stored is not None and first.stored.state is RequestState.APPROVED
    second_approver = Actor(OTHER_APPROVER, approver_actor.tenant_id, may_approve=True)
    again, other = (await workflow.approve(stored.id, approver_actor),
                    await workflow.reject(stored.id, second_approver, "no"))
    for outcome in (again, other):
        assert not outcome.changed and outcome.refusal is None
        assert outcome.stored is not None and outcome.stored.state is RequestState.APPROVED
    # Megan is told in her own words; the other approver who approved it.
    assert (again.note or "").startswith("You approved this request at ") and "Megan" not in (again.note or "")
    assert "already approved by Megan Bowen" in (other.note or "")
    actions = [e.action for e in await workflow.audit_trail(stored.id)]
    assert actions == ["requested", "approved"]


async def test_twenty_concurrent_approvals_give_exactly_one_decision(tmp_path):
    # Separate store objects (separate SQLite connections), as separate bot processes would have.
    stores = [SqliteDocumentStore(tmp_path / "shared.db") for _ in range(4)]
    try:
        workflows = [Workflow(s) for s in stores]
        stored = await submit_sample(workflows[0])
        outcomes = await asyncio.gather(
            *(workflows[i % 4].approve(stored.id, approver_actor) for i in range(20))
        )
        assert sum(o.changed for o in outcomes) == 1
        assert all(o.stored is not None and o.stored.state is RequestState.APPROVED for o in outcomes)
        final = await workflows[0].get(stored.id)
        assert final is not None
        assert [d.action for d in final.request.decisions] == ["requested", "approved"]
        assert [e.action for e in await workflows[0].audit_trail(stored.id)] == ["requested", "approved"]
    finally:
        for s in stores:
            await s.close()


async def test_the_requester_cannot_approve_their_own_request_even_as_an_approver(workflow: Workflow):
    stored = await submit_sample(workflow)
    self_approver = Actor(REQUESTER, requester_actor.tenant_id, may_approve=True)
    outcome = await workflow.approve(stored.id, self_approver)
    assert outcome.refusal and "another approver" in outcome.refusal and not outcome.changed
    current = await workflow.get(stored.id)
    assert current is not None and current.etag == stored.etag, "a refusal changes nothing"
    refused = [e for e in await workflow.audit_trail(stored.id) if e.action == "refused"]
    assert len(refused) == 1 and refused[0].by == REQUESTER and refused[0].detail["attempted"] == "approved"


@pytest.mark.parametrize(
    "actor",
    [
        Actor(OTHER_APPROVER, "72f988bf-86f1-41af-91ab-2d7cd011db47", may_approve=False),
        Actor(APPROVER_PERSON, FOREIGN_TENANT, may_approve=True, tenant_allowed=False),
    ],
    ids=["not-an-approver", "foreign-tenant"],
)
async def test_others_are_refused_and_the_refusal_is_audited(workflow: Workflow, actor: Actor):
    stored = await submit_sample(workflow)
    for attempt in (workflow.approve(stored.id, actor), workflow.reject(stored.id, actor, "because")):
        outcome = await attempt
        assert outcome.refusal and not outcome.changed
    current = await workflow.get(stored.id)
    assert current is not None and current.etag == stored.etag
    refused = [e for e in await workflow.audit_trail(stored.id) if e.action == "refused"]
    assert [(e.by, e.tenant_id) for e in refused] == [(actor.person, actor.tenant_id)] * 2


async def test_reject_needs_a_comment_and_keeps_it(workflow: Workflow):
    stored = await submit_sample(workflow)
    empty = await workflow.reject(stored.id, approver_actor, "   ")
    assert not empty.changed and empty.note
    done = await workflow.reject(stored.id, approver_actor, "Wrong target subscription")
    assert done.changed and done.stored is not None and done.stored.state is RequestState.REJECTED
    assert done.stored.request.decisions[-1].comment == "Wrong target subscription"
    trail = await workflow.audit_trail(stored.id)
    assert trail[-1].action == "rejected" and trail[-1].detail["comment"] == "Wrong target subscription"


async def test_only_the_requester_cancels_and_only_before_the_move(workflow: Workflow):
    stored = await submit_sample(workflow)
    other = await workflow.cancel(stored.id, approver_actor)
    assert other.refusal and not other.changed
    await workflow.approve(stored.id, approver_actor)
    claimed = await workflow.claim(stored.id, "runner-1", lease_seconds=30)
    assert claimed is not None and claimed.state is RequestState.VALIDATING
    late = await workflow.cancel(stored.id, requester_actor)
    assert not late.changed and late.stored is not None and late.stored.state is RequestState.VALIDATING

    fresh = await submit_sample(workflow, source_subscription_id="src-sub-2")  # other groups: the first hold theirs
    done = await workflow.cancel(fresh.id, requester_actor)
    assert done.changed and done.stored is not None and done.stored.state is RequestState.CANCELLED
    assert (await workflow.approve(fresh.id, approver_actor)).stored.state is RequestState.CANCELLED  # type: ignore[union-attr]


async def test_audit_entries_are_never_overwritten(workflow: Workflow, store: SqliteDocumentStore):
    stored = await submit_sample(workflow)
    [record] = await store.list(TRAIL, prefix=stored.id + "/")
    with pytest.raises(ConcurrencyError):
        await store.put(TRAIL, record.key, {"action": "approved"}, etag="")
