"""The fixes on single resources on the cards: the approver is told what stops and what is lost before
approving, and what stays by hand comes with the reason and the command."""

from __future__ import annotations

from cards.approval import approval_card
from cards.plan import move_plan_card
from migration.model import RequestState
from tests.support.cards import fixtures as fx
from tests.support.cardtools import text_of


def test_the_approver_is_told_that_a_stopped_job_processes_nothing_and_that_restore_points_are_lost():
    steps, manual = fx.resource_fix_plan()
    request = fx.make_request(fx.CONTOSO, RequestState.PENDING_APPROVAL)
    card = text_of(approval_card(request, view="approver", approver_mris=[], checklist=(), steps=steps,
                                 manual=manual))
    assert "Stop Stream Analytics job asa-telemetry" in card
    assert "A stopped Stream Analytics job processes no events until the step after the move starts it" in card
    assert "Start Stream Analytics job asa-telemetry again, from where its output stopped" in card
    assert "instant-restore snapshots are lost; the vault's backups stay" in card
    assert "deletes the VM's instant-restore snapshots for good" in card
    assert "Encrypt disk data-archive again with its customer-managed key" in card
    # The disk a running VM uses stays with the engineer, saying why; so does resuming the backup.
    assert "Disk data-hot is attached to virtual machine vm-analytics, which runs" in card
    assert "az vm deallocate -g rg-analytics -n vm-analytics" in card
    assert "resume Azure Backup of vm-analytics" in card and "az backup protection enable-for-vm" in card


def test_a_plan_without_those_steps_carries_no_such_warning():
    request = fx.make_request(fx.CONTOSO, RequestState.DRAFT)
    card = text_of(move_plan_card(request, steps=fx.fix_plan(1)))
    assert "Stream Analytics" not in card and "restore point" not in card


def test_the_plan_card_lets_the_engineer_leave_these_fixes_out():
    request = fx.make_request(fx.CONTOSO, RequestState.DRAFT)
    offered = ["stop_job", "disable_customer_managed_key", "remove_restore_points"]
    card = move_plan_card(request, steps=fx.resource_fix_plan()[0], offered=offered, kept=offered)
    [choice] = [e for e in card["body"] if e.get("id") == "fixes"]
    assert [c["value"] for c in choice["choices"]] == offered
    assert "instant-restore snapshots are lost" in choice["choices"][2]["title"]
