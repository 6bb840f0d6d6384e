"""Who may see a move request's report: its requester, the approvers, and the people in the chats it was
posted to (any thread of that channel), in the requester's tenant; and nobody from a tenant not allowed."""

from __future__ import annotations

from bot.access import AccessPolicy, Caller

PARTNER, OTHER = "72f988bf-86f1-41af-91ab-2d7cd011db47", "9b1d4a3e-0000-4000-8000-0000000000ff"
REQUESTER, APPROVER, COLLEAGUE = "a001", "a002", "a009"
CHANNEL = "19:approvals@thread.tacv2"
POLICY = AccessPolicy(allowed_tenant_ids=frozenset({PARTNER, OTHER}), engineer_ids=frozenset(),
                      approver_ids=frozenset({APPROVER}))


def _may(user: str, conversation: str, *, tenant: str = PARTNER) -> bool:
    return POLICY.may_see_request(Caller(tenant, user, "someone", f"29:{user}"), requester_id=REQUESTER.upper(),
                                  requester_tenant_id=PARTNER.upper(),
                                  conversations={"a:conv-personal", f"{CHANNEL};messageid=1700000000001"},
                                  conversation_id=conversation)


def test_the_requester_and_the_approvers_from_any_chat():
    assert _may(REQUESTER, "a:elsewhere") and _may(APPROVER, "a:elsewhere")


def test_a_colleague_in_the_channel_the_card_went_to_in_any_of_its_threads():
    assert _may(COLLEAGUE, f"{CHANNEL};messageid=1700000000999")
    assert _may(COLLEAGUE, CHANNEL)
    assert not _may(COLLEAGUE, "19:other@thread.tacv2;messageid=1700000000001")
    assert not _may(COLLEAGUE, "a:elsewhere")


def test_not_from_another_tenant_even_in_the_same_chat():
    assert not _may(COLLEAGUE, CHANNEL, tenant=OTHER)
    assert not AccessPolicy(allowed_tenant_ids=frozenset({OTHER}), engineer_ids=frozenset(),
                            approver_ids=frozenset({APPROVER})).may_see_request(
        Caller(PARTNER, REQUESTER, "x", None), requester_id=REQUESTER, requester_tenant_id=PARTNER,
        conversations=set(), conversation_id=None), "a tenant no longer allowed: not even the requester"
