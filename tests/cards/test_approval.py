"""What approvers, the requester and everyone else see on the approval card (contoso)."""

from __future__ import annotations

import pytest

from cards import verbs
from cards.approval import approval_card
from migration.model import RequestState
from tests.support.cards import fixtures as fx
from tests.support.cards.cardwalk import buttons, texts, toggles, walk


def _approval(view, state=RequestState.PENDING_APPROVAL, mris=None):
    return approval_card(
        fx.make_request(fx.CONTOSO, state),
        view=view,
        checklist=fx.CHECKLIST,
        approver_mris=mris if mris is not None else [p.mri for p in fx.APPROVERS],
    )


def test_approval_base_has_no_buttons_and_refreshes_for_approvers() -> None:
    card = _approval("base")
    assert buttons(card) == {}
    assert card["refresh"]["action"] == {
        "type": "Action.Execute",
        "title": "Refresh",
        "verb": verbs.REQUEST_REFRESH,
        "data": {"requestId": "MV-7K2Q"},
    }
    assert card["refresh"]["userIds"][:3] == [p.mri for p in fx.APPROVERS]
    seen = texts(card)
    for item in fx.CHECKLIST:
        assert item.title in seen
    assert "Waiting for approval" in seen and "Requested by Adele Vance, 2026-11-23 14:05 UTC" in seen


def test_approval_approver_view() -> None:
    b = buttons(_approval("approver"))
    assert set(b) == {"Approve move", "Reject"}
    assert b["Approve move"]["data"] == {"requestId": "MV-7K2Q"}
    assert b["Reject"]["associatedInputs"] == "auto"
    assert b["Approve move"]["associatedInputs"] == "none"


def test_reject_reason_is_not_marked_required() -> None:
    """Only rejecting needs a reason, and the bot asks for it then: no required asterisk on Approve's card."""
    comment = next(n for n in walk(_approval("approver")) if n.get("id") == "comment")
    assert not comment.get("isRequired") and "needed only to reject" in comment["label"]


def _first_screen(card: dict) -> str:
    """What shows before the card's "Show all": the body up to its ToggleVisibility button."""
    body = card["body"]
    opener = next(i for i, n in enumerate(body) if n.get("type") == "ActionSet"
                  and n["actions"][0]["type"] == "Action.ToggleVisibility")
    return texts({"body": body[:opener]})


def test_approval_first_screen_says_what_one_click_approves_and_interrupts() -> None:
    pending = fx.make_request(fx.CONTOSO, RequestState.PENDING_APPROVAL)
    steps = fx.fix_plan(len(pending.groups))
    card = approval_card(pending, view="approver", checklist=fx.CHECKLIST, approver_mris=[], steps=steps)
    first = _first_screen(card)
    before = sum(1 for s in steps if s.phase == "before")
    assert f"**Approving runs all of this:** {before} steps in the source subscription first; then the moves " \
           "of " in first
    assert all(g.source_group in first for g in pending.groups[:8])
    assert any(s.warning and s.warning in first for s in steps), "what the steps interrupt is on the first screen"
    # The details are one click away, and back.
    shown_by = [t["title"] for t in toggles(card)]
    assert shown_by == ["Show all", "Show less"]
    assert "Checklist after the move" in texts(card) and "Checklist after the move" not in first


def test_approval_requester_can_only_cancel() -> None:
    assert set(buttons(_approval("requester"))) == {"Cancel request"}


def test_approval_refresh_capped_at_60_users() -> None:
    card = _approval("base", mris=[p.mri for p in fx.MANY_APPROVERS])
    assert len(card["refresh"]["userIds"]) == 60


@pytest.mark.parametrize("state", [RequestState.REJECTED, RequestState.MOVING, RequestState.CANCELLED])
def test_approval_after_decision_has_no_buttons_and_no_refresh(state) -> None:
    card = _approval("approver", state)
    assert buttons(card) == {} and "refresh" not in card
    if state is RequestState.REJECTED:
        assert "Wait for the change freeze to end." in texts(card)
