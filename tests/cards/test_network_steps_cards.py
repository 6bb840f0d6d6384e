"""The network fixes on the cards: the approver is told that an app without its VNet integration cannot
reach private resources and what a subnet without its NAT gateway loses; a private endpoint and a NAT
gateway in the target stay by hand, with the reason and the command."""

from __future__ import annotations

from cards.approval import approval_card
from cards.plan import move_plan_card
from migration.model import RequestState
from tests.support.cards import fixtures as fx
from tests.support.cardtools import text_of


def test_the_approver_is_warned_what_the_network_fixes_interrupt_and_told_what_stays_by_hand():
    steps, manual = fx.network_fix_plan()
    request = fx.make_request(fx.CONTOSO, RequestState.PENDING_APPROVAL)
    card = text_of(approval_card(request, view="approver", approver_mris=[], checklist=(), steps=steps,
                                 manual=manual))
    assert "Remove the VNet integration of app app-shop (subnet apps of vnet-shop)" in card
    assert "cannot reach the private resources of that network" in card
    assert "Remove NAT gateway nat-shop from subnet egress of vnet-shop" in card
    assert "loses its fixed outbound IP" in card
    assert "Add the VNet integration of app app-shop again" in card
    # The private endpoint is the engineer's, saying why; so is a NAT gateway in the target.
    assert "deleting one cuts private access to the app" in card and "az network private-endpoint delete" in card
    assert "a NAT gateway cannot change subscription" in card and "az network nat gateway create" in card


def test_a_plan_without_network_steps_carries_no_such_warning():
    card = text_of(move_plan_card(fx.make_request(fx.CONTOSO, RequestState.DRAFT), steps=fx.fix_plan(1)))
    assert "VNet integration" not in card and "NAT gateway" not in card


def test_the_plan_card_lets_the_engineer_leave_the_network_fixes_out():
    request = fx.make_request(fx.CONTOSO, RequestState.DRAFT)
    offered = ["remove_app_networking", "detach_subnet_resource"]
    card = move_plan_card(request, steps=fx.network_fix_plan()[0], offered=offered, kept=offered[:1])
    [choice] = [e for e in card["body"] if e.get("id") == "fixes"]
    assert [c["value"] for c in choice["choices"]] == offered and choice["value"] == "remove_app_networking"
