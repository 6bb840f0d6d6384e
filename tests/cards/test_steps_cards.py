"""The steps on the cards: what the approver approves, and what the final report says of each step."""

from __future__ import annotations

from cards.approval import approval_card
from cards.movereport import final_report_card
from cards.plan import move_plan_card
from migration.model import RequestState
from migration.model.plan import ChosenFix
from migration.model.records import StepRecord, StepStatus
from migration.reports.checklist import post_move_checklist, tick
from tests.support.cards import fixtures as fx
from tests.support.cards.cardwalk import walk
from tests.support.cardtools import text_of as _text
from tests.support.commands import script


def test_the_approver_sees_every_phase_and_what_stays_by_hand():
    request = fx.make_request(fx.CONTOSO, RequestState.PENDING_APPROVAL)
    steps = fx.fix_plan(2)
    card = _text(approval_card(request, view="approver", approver_mris=[], checklist=(), steps=steps,
                               manual=fx.MANUAL_FIXES[:1]))
    assert "Before the moves" in card and "After the moves" in card and "The moves" in card
    assert "Lift ReadOnly lock freeze on group rg-workload-000" in card
    assert "Put ReadOnly lock freeze back on group rg-workload-001" in card
    assert "interrupts that traffic" in card  # the public IP's downtime is said before approval
    assert "Left to you" in card and "vm encryption disable" in card


def test_the_plan_card_offers_the_fixes_with_the_engineers_choice():
    request = fx.make_request(fx.CONTOSO, RequestState.DRAFT)
    card = move_plan_card(request, steps=fx.fix_plan(1), offered=["lift_read_only_lock", "disassociate_public_ip",
                                                                   "disable_disk_encryption"],
                          kept=["lift_read_only_lock"])
    [choice] = [e for e in card["body"] if e.get("id") == "fixes"]
    assert [c["value"] for c in choice["choices"]] == ["lift_read_only_lock", "disassociate_public_ip"]
    assert choice["value"] == "lift_read_only_lock"
    assert [a["title"] for a in card["actions"]] == ["Ask for approval", "Update plan", "Cancel"]


def test_the_final_report_says_what_happened_then_what_needs_the_engineer_then_what_went_fine():
    request = fx.make_request(fx.CONTOSO, RequestState.SUCCEEDED, moved_fraction=1.0)
    steps = fx.fix_plan(1)
    records = fx.step_records(steps, failed_every=5)  # the role assignment failed
    checklist = tick(post_move_checklist(), steps, records)
    card = final_report_card(fx.move_report(request, steps=steps, records=records, manual=fx.MANUAL_FIXES[:1],
                                            checklist=checklist))
    text = _text(card)
    moves = len(request.groups)
    assert f"{moves + 5} steps**: 1 failed, {moves + 4} done." in text  # first: counts, most urgent first
    assert '"title": "Role assignments", "value": "0 of 1 re-created"' in text
    needs, done = text.index('"Needs you"'), text.index('"Done"')
    assert needs < done
    assert "PrincipalNotFound" in text[needs:done]
    assert "az role assignment create --assignee-object-id a11ce000-0000-4000-8000-00000000a11c" in text[needs:done]
    assert "The bot cannot do this" in text[needs:done] and "vm encryption disable" in text[needs:done]
    assert "✓ Lift ReadOnly lock freeze on group rg-workload-000" in text[done:]
    assert "type `report MV-7K2Q`" in text, "without a link, the card says how to get the whole report"
    assert "✓ Put the locks back" in text and "✓ Re-apply group tags" in text
    assert "✓ Re-create role assignments" not in text


def test_nothing_is_ticked_before_the_bot_did_it():
    steps = fx.fix_plan(1)
    started = tuple(StepRecord(s.key, StepStatus.STARTED) for s in steps)
    assert not any(c.done for c in tick(post_move_checklist(), steps, started))
    assert not any(c.done for c in tick(post_move_checklist(), (), ()))


def test_the_progress_card_says_how_far_the_steps_got():
    from cards.move import move_progress_card

    request = fx.make_request(fx.CONTOSO, RequestState.MOVING, moved_fraction=0.4)
    steps = fx.fix_plan(1)
    records = (StepRecord(steps[0].key, StepStatus.SUCCEEDED), StepRecord(steps[1].key, StepStatus.FAILED),
               StepRecord(steps[2].key, StepStatus.STARTED))
    text = _text(move_progress_card(request, steps=steps, records=records))
    assert "1 of 5 fix steps done, 1 not done" in text


def test_the_approver_is_told_what_breaks_until_a_removed_thing_is_made_again():
    request = fx.make_request(fx.CONTOSO, RequestState.PENDING_APPROVAL)
    steps = fx.service_fix_plan()
    card = _text(approval_card(request, view="approver", approver_mris=[], checklist=(), steps=steps))
    assert "Unlink Automation account aa-contoso-ops from workspace law-contoso-ops" in card
    assert "Delete the SQL IaaS Agent registration of virtual machine vm-sql-01 (AHUB license" in card
    assert "Unbind and delete the free managed certificate for shop.contoso.com" in card
    assert "Issue a free managed certificate for shop.contoso.com again and bind it to app-contoso-shop" in card
    assert "Link Automation account aa-contoso-ops to workspace law-contoso-ops again" in card
    assert "Register virtual machine vm-sql-01 with the SQL IaaS Agent extension again" in card
    # Before anyone approves: what stops working, and until when.
    assert "breaks HTTPS on shop.contoso.com until the certificate is issued again and bound" in card
    assert "stops the workspace's Automation features" in card and "SQL Server itself keeps running" in card


def test_the_plan_card_lets_the_engineer_leave_each_of_them_out():
    request = fx.make_request(fx.CONTOSO, RequestState.DRAFT)
    offered = ["unlink_automation_workspace", "delete_sql_iaas_registration", "recreate_managed_certificate"]
    card = move_plan_card(request, steps=fx.service_fix_plan(), offered=offered, kept=offered[:2])
    [choice] = [e for e in card["body"] if e.get("id") == "fixes"]
    assert [c["value"] for c in choice["choices"]] == offered
    assert "HTTPS breaks meanwhile" in choice["choices"][2]["title"]
    assert choice["value"] == "unlink_automation_workspace,delete_sql_iaas_registration"


def test_the_approval_card_says_which_checklist_entries_the_bot_does_itself():
    request = fx.make_request(fx.CONTOSO, RequestState.PENDING_APPROVAL)
    facts = dict(_facts(approval_card(request, view="approver", approver_mris=[], checklist=post_move_checklist(),
                                      steps=fx.fix_plan(1))))
    assert facts["Put the locks back"].startswith("The bot does this after the moves")
    assert facts["Re-create role assignments"].startswith("The bot does this after the moves")
    assert facts["Customer access"].startswith("The customer has no access")  # still the engineer's
    assert {c.title for c in post_move_checklist()} <= set(facts), "every entry shown, none cut"
    without = dict(_facts(approval_card(request, view="approver", approver_mris=[], checklist=post_move_checklist())))
    assert "Export them before" in without["Re-create role assignments"]  # no steps: the engineer does it


def _facts(card: dict) -> list[tuple[str, str]]:
    return [(f["title"].removeprefix("✓ "), f["value"]) for n in walk(card) if n.get("type") == "FactSet"
            for f in n["facts"]]


def test_a_command_too_long_for_the_card_is_pointed_at_never_cut():
    request = fx.make_request(fx.CONTOSO, RequestState.PENDING_APPROVAL)
    ids = " ".join(f"/subscriptions/s/resourceGroups/rg-a/providers/Microsoft.Web/sites/app-{i:03}" for i in range(40))
    long = ChosenFix("rg-a", "consolidate_dependencies", (),
                     script(f"az resource move --destination-group rg-b --ids {ids}"))
    short = ChosenFix("rg-c", "disable_disk_encryption", (), script("az vm encryption disable -g rg-c -n vm-1"))
    card = _text(approval_card(request, view="approver", approver_mris=[], checklist=(), manual=(long, short)))
    assert "az resource move --destination-group rg-b" not in card  # no half of it to copy
    assert f"Its command ({len(long.command.posix()):,} characters" in card and "fix_command" in card
    assert short.command.posix() in card  # a command that fits is shown whole


def test_what_does_not_fit_is_counted_in_plain_words():
    request = fx.make_request(fx.CONTOSO, RequestState.PENDING_APPROVAL)
    card = _text(approval_card(request, view="approver", approver_mris=[], checklist=(), manual=fx.MANUAL_FIXES))
    hidden = len(fx.MANUAL_FIXES) - card.count("az vm encryption disable") // 2  # for a POSIX shell and PowerShell
    assert hidden > 0 and f"And {hidden} more." in card and "mores" not in card
