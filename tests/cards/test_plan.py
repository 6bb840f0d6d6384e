"""What the requester sees on the plan cards, on realistic data (contoso and the 10,000-resource tenant)."""

from __future__ import annotations

from dataclasses import replace

from cards import verbs
from cards.plan import create_groups_card, move_plan_card
from migration.model import ArmErrorDetail, DryRun, RequestState
from tests.support.cards import fixtures as fx
from tests.support.cards.cardwalk import buttons, texts


def test_create_groups_confirmation() -> None:
    draft = fx.make_request(fx.HUGE, RequestState.DRAFT)
    card = create_groups_card(draft, new_groups=draft.groups)
    assert "69 empty resource groups" in texts(card) and "And 54 more groups." in texts(card)
    b = buttons(card)
    assert b["Create groups and run dry run"]["data"] == {"requestId": draft.id}
    assert b["Cancel"]["verb"] == verbs.REQUEST_CANCEL


def test_move_plan_draft_asks_for_approval() -> None:
    draft = fx.make_request(fx.HUGE, RequestState.DRAFT)
    card = move_plan_card(draft)
    assert "784 in 69 groups" in texts(card)
    assert buttons(card)["Ask for approval"]["data"] == {"requestId": draft.id}


def test_dry_run_reasons_are_whole_sentences_and_say_when_the_bot_fixes_them() -> None:
    long = ("One of the resources contain integration runtimes that are either SSIS-IRs in starting/started/stopping "
            "state, or Self-Hosted IRs which are shared with other resources. Resource move is not supported for "
            "those resources.")
    refused = [DryRun("rg-a", "/subscriptions/x/resourceGroups/rg-a", False,
                      (ArmErrorDetail("ResourceMoveValidationFailed", "1 error.",
                                      details=(ArmErrorDetail("BadRequest", long),)),)),
               DryRun("rg-b", "/subscriptions/x/resourceGroups/rg-b", False,
                      (ArmErrorDetail("ScopeLocked", "The scope is locked."),))]
    draft = fx.make_request(fx.CONTOSO, RequestState.DRAFT)
    draft = replace(draft, groups=(replace(draft.groups[0], source_group="rg-a"),
                                   replace(draft.groups[1], source_group="rg-b")))
    seen = texts(move_plan_card(draft, dry_runs=refused, after_fixes=["rg-b"]))
    assert "…" not in seen
    assert long + " Fix: Change what Azure names, then assess again and request a new move." in seen
    # rg-b's lock is one of the bot's own steps: no "request it again".
    assert "A read-only lock on the group or subscription blocks the move. The bot makes this fix before the " \
           "moves" in seen and "request it again" not in seen
