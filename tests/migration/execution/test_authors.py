"""Approval is a second person's decision: nobody who made, changed or submitted the plan approves it."""

from __future__ import annotations

from migration.model import RequestState
from migration.model.records import Actor
from tests.support.moves import APPROVER_PERSON, OTHER_APPROVER, REQUESTER, approver_actor, submit_sample
from tests.support.teams import PARTNER_TENANT


async def test_an_approver_who_changed_the_plan_cannot_approve_it(workflow):
    stored = await submit_sample(workflow, authors=(REQUESTER.id, APPROVER_PERSON.id))
    assert stored.authors == (REQUESTER.id, APPROVER_PERSON.id)
    refused = await workflow.approve(stored.id, approver_actor)
    assert refused.refusal == "You made or changed this plan, so another approver must decide."
    assert (await workflow.get(stored.id)).state is RequestState.PENDING_APPROVAL
    trail = await workflow.audit_trail(stored.id)
    assert trail[-1].action == "refused" and trail[-1].by == APPROVER_PERSON

    approved = await workflow.approve(stored.id, Actor(OTHER_APPROVER, PARTNER_TENANT, may_approve=True))
    assert approved.changed and approved.stored.state is RequestState.APPROVED


async def test_the_requester_is_always_an_author(workflow):
    stored = await submit_sample(workflow)
    assert stored.authors == (REQUESTER.id,)
