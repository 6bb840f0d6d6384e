"""What a user sees on each card, on realistic data (contoso and the 10,000-resource tenant)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace

import pytest

from cards import verbs
from cards.assessment import (
    assessment_summary_card,
    blocker_entries,
    blockers_card,
    dry_run_card,
    stopping_findings,
)
from cards.help import help_card
from cards.messages import error_card, not_allowed_card, unknown_action_card
from cards.move import history_card, move_progress_card
from cards.movereport import final_report_card
from cards.pickers import group_picker_card, subscription_picker_card, target_picker_card
from cards.progress import Step, work_progress_card
from cards.tenant import attach_result_card, invitation_card
from migration.model import (
    DryRun,
    Finding,
    Fix,
    FixAction,
    GroupAssessment,
    RequestState,
    Severity,
    Verdict,
)
from tests.support.cards import fixtures as fx
from tests.support.cards.cardwalk import buttons, texts, walk
from tests.support.cards.gallery import all_ready
from tests.support.commands import script

# --------------------------------------------------------------------------- help & messages


def test_help_lists_commands_steps_and_buttons() -> None:
    card = help_card(sandbox=False)
    seen = texts(card)
    assert "CSP migration bot" in seen
    for command in (
        "help",
        "attach TENANT",
        "assess [TENANT SUBSCRIPTION]",
        "status [REQUEST-ID]",
        "history",
        "cancel",
        "approvals here",
        "move [TENANT SOURCE TARGET [GROUP,...]]",
    ):
        assert command in seen
    # Angle brackets would be swallowed as HTML tags by the Teams renderer.
    assert "<" not in seen
    assert "accepts your reseller relationship request" in seen and "invitation" not in seen
    for step in ("Attach the tenant", "Assess", "Find classic resources", "Move with approval"):
        assert step in seen
    assert "sandbox" not in seen.lower()
    b = buttons(card)
    assert b["Assess a subscription"]["verb"] == "assess.start"
    assert b["Attach a tenant"]["verb"] == "attach.start"


def test_help_names_where_the_move_support_facts_come_from() -> None:
    seen = texts(help_card(sandbox=False))
    assert "Move support: Azure resource types for move operations" in seen
    assert "ms.date 10/26/2025" in seen


def test_help_in_sandbox_says_no_real_azure() -> None:
    seen = texts(help_card(sandbox=True))
    assert "contoso.onmicrosoft.com" in seen
    assert "No real Azure is touched" in seen


def test_error_card_says_what_to_do_and_retries_with_ids() -> None:
    card = error_card(
        "Azure said no.",
        "Ask for the Owner role.",
        code="AuthorizationFailed",
        retry_verb=verbs.ASSESS_RUN,
        retry_data={"tenantId": "t", "subscriptionId": "s"},
    )
    seen = texts(card)
    assert "Azure said no." in seen and "What to do:** Ask for the Owner role." in seen
    assert "AuthorizationFailed" in seen
    assert buttons(card)["Try again"]["data"] == {"tenantId": "t", "subscriptionId": "s"}


def test_unknown_action_names_the_verb_and_clips_it() -> None:
    assert "approve.v0" in texts(unknown_action_card("approve.v0"))
    assert "x" * 61 not in texts(unknown_action_card("x" * 500))


def test_not_allowed_gives_reason_and_no_buttons() -> None:
    card = not_allowed_card("Only approvers can approve moves.")
    assert "Only approvers can approve moves." in texts(card)
    assert buttons(card) == {}


# --------------------------------------------------------------------------- tenant & pickers


def test_attach_result_separates_sources_and_targets() -> None:
    card = attach_result_card(tenant=fx.TENANT, tenant_id=fx.TENANT_ID, subscriptions=fx.SUBSCRIPTIONS)
    seen = texts(card)
    assert "5 subscriptions: 3 can move to CSP, 2 already CSP." in seen
    assert "CSP target" in seen and "Source" in seen
    assert buttons(card)["Assess a subscription"]["data"] == {"tenantId": fx.TENANT_ID}


def test_attach_without_csp_subscription_warns() -> None:
    card = attach_result_card(tenant=fx.TENANT, tenant_id=fx.TENANT_ID, subscriptions=fx.SUBSCRIPTIONS[:2])
    assert "no CSP subscription yet" in texts(card)


def test_without_partner_tenant_the_card_says_the_setting_is_missing() -> None:
    card = invitation_card(tenant=fx.TENANT, partner_tenant_id="")
    assert "PARTNER_TENANT_ID setting is missing" in texts(card)
    assert "partnerId=" not in json.dumps(card) and "<" not in json.dumps(card), "no link with a placeholder"


def test_invitation_has_reseller_link_and_check_again() -> None:
    card = invitation_card(tenant=fx.TENANT, partner_tenant_id=fx.PARTNER_TENANT_ID)
    url = (
        f"https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId="
        f"{fx.PARTNER_TENANT_ID}#/BillingAccounts/partner-invitation"
    )
    b = buttons(card)
    assert b["Partner Center relationship (billing)"]["url"] == url
    assert url in texts(card)
    assert b["Check again"] == b["Check again"] | {"verb": verbs.ATTACH_CHECK, "data": {"tenant": fx.TENANT}}


def _choice_set(card: dict) -> dict:
    return next(e for e in card["body"] if e["type"] == "Input.ChoiceSet")


def test_subscription_picker_labels_with_offer_and_skips_csp() -> None:
    card = subscription_picker_card(tenant_id=fx.TENANT_ID, tenant=fx.TENANT, subscriptions=fx.SUBSCRIPTIONS)
    choices = {c["title"]: c["value"] for c in _choice_set(card)["choices"]}
    assert choices["Contoso Production — Pay-As-You-Go"] == fx.PROD.id
    assert not any("CSP" in t.split(" — ")[1] for t in choices)
    cont = buttons(card)["Continue"]
    assert cont["verb"] == verbs.ASSESS_SUBSCRIPTION and cont["data"] == {"tenantId": fx.TENANT_ID}
    assert cont["associatedInputs"] == "auto"
    assert buttons(card)["Cancel"]["associatedInputs"] == "none"


def test_target_picker_offers_only_csp() -> None:
    card = target_picker_card(tenant_id=fx.TENANT_ID, source=fx.PROD, targets=fx.SUBSCRIPTIONS)
    assert [c["value"] for c in _choice_set(card)["choices"]] == [fx.CSP_MAIN.id, fx.CSP_DR.id]
    assert buttons(card)["Continue"]["data"] == {"tenantId": fx.TENANT_ID, "sourceSubscriptionId": fx.PROD.id}


def test_group_picker_offers_ready_groups_only() -> None:
    card = group_picker_card(fx.CONTOSO, target=fx.CSP_MAIN)
    ready = {g.name for g in fx.CONTOSO.groups if g.verdict is Verdict.READY}
    choice_set = _choice_set(card)
    assert choice_set["isMultiSelect"] is True
    assert {c["value"] for c in choice_set["choices"]} == ready
    assert set(buttons(card)) == {"Continue"}  # one page: no paging


def test_group_picker_offers_what_azure_decides_and_drops_what_its_dry_run_refused() -> None:
    first, second, third = fx.CONTOSO.groups[:3]
    refused = DryRun(third.name, "/subscriptions/t/resourceGroups/x", False)
    a = replace(fx.CONTOSO, groups=(replace(first, verdict=Verdict.AZURE_DECIDES, dry_run=None),
                                    replace(second, verdict=Verdict.BLOCKED, dry_run=None),
                                    replace(third, verdict=Verdict.READY, dry_run=refused)))
    offered = _choice_set(group_picker_card(a, target=fx.CSP_MAIN))["choices"]
    assert [c["value"] for c in offered] == [first.name]
    assert offered[0]["title"].endswith("; Azure decides)")  # its dry run comes before the approval


def test_group_picker_pages_500_ready_groups() -> None:
    a = all_ready(fx.HUGE)
    first, last = group_picker_card(a, target=fx.CSP_MAIN, page=1), group_picker_card(a, target=fx.CSP_MAIN, page=5)
    assert len(_choice_set(first)["choices"]) == 100
    assert "500 groups" in texts(first) and "Page 1 of 5" in texts(first)
    assert "Previous page" not in buttons(first) and buttons(first)["Next page"]["data"]["page"] == 2
    assert "Next page" not in buttons(last) and buttons(last)["Previous page"]["data"]["page"] == 4
    assert group_picker_card(a, target=fx.CSP_MAIN, page=99) == last  # a stale page shows the last one


def test_progress_card_shows_counts_with_separators() -> None:
    card = work_progress_card(
        "Assessing Contoso Production",
        [Step("Checking access", "done"), Step("Reading resources", "running", 4000, 10000)],
        started_at=fx.AT,
    )
    seen = texts(card)
    assert "Reading resources: 4,000 of 10,000" in seen
    assert "Started 2026-11-23 14:05 UTC" in seen
    assert buttons(card) == {}


# --------------------------------------------------------------------------- assessment


def test_summary_contoso() -> None:
    card = assessment_summary_card(fx.CONTOSO, rules=fx.RULES)
    seen = texts(card)
    assert "Assessment: Contoso Production" in seen
    assert "Pay-As-You-Go" in seen and "62 in 10 groups" in seen and "2026-11-23 14:05 UTC" in seen
    assert "Classic (ASM) resource" in seen  # top blocker by rule title
    b = buttons(card)
    assert b["Show blockers"]["data"] == {"tenantId": fx.TENANT_ID, "subscriptionId": fx.PROD.id, "page": 1}
    assert b["Move ready groups"]["verb"] == verbs.MOVE_START
    assert {"Show dry run", "Assess again"} <= set(b)


def test_summary_huge_has_separators_and_truncates_groups() -> None:
    seen = texts(assessment_summary_card(fx.HUGE, rules=fx.RULES))
    assert "10,000 in 500 groups" in seen
    assert "And 485 more groups." in seen
    # Counted by the final verdict: where Azure's dry run disagreed, its answer.
    blocked = sum(g.resource_count for g in fx.HUGE.groups if g.final_verdict is Verdict.BLOCKED)
    assert f"{blocked:,}" in seen


def test_summary_counts_azures_answer_where_the_dry_run_disagrees() -> None:
    group = replace(fx.CONTOSO.groups[0], verdict=Verdict.BLOCKED,
                    dry_run=DryRun(fx.CONTOSO.groups[0].name, "/subscriptions/t/resourceGroups/x", True))
    a = replace(fx.CONTOSO, groups=(group,))
    card = assessment_summary_card(a, rules=fx.RULES)
    assert "Azure's dry run overruled the rules for 1 group" in texts(card)
    rows = [c for b in walk(card) if b.get("type") == "TableRow" for c in [b]]
    cells = [[t["text"] for cell in r["cells"] for t in cell["items"]] for r in rows]
    assert ["Ready", "1", str(group.resource_count)] in cells
    assert ["Blocked", "0", "0"] in cells
    assert "Move ready groups" in buttons(card)


def test_summary_blocked_offer_has_no_move_button() -> None:
    ea_blocked = replace(fx.CONTOSO, offer=replace(fx.CONTOSO.offer, source_allowed=False))
    card = assessment_summary_card(ea_blocked)
    assert "cannot be moved to CSP" in texts(card)
    assert "Move ready groups" not in buttons(card)


@pytest.mark.parametrize("assessment", [fx.CONTOSO, fx.HUGE], ids=["contoso", "huge"])
def test_blocker_paging_boundaries(assessment) -> None:
    total = len(blocker_entries(assessment))
    pages = -(-total // 10)
    first = blockers_card(assessment, page=1, rules=fx.RULES)
    last = blockers_card(assessment, page=pages, rules=fx.RULES)
    assert f"{total:,} found. Page 1 of {pages:,}." in texts(first)
    assert "Previous page" not in buttons(first)
    assert "Next page" not in buttons(last)
    if pages > 1:
        assert buttons(first)["Next page"]["data"]["page"] == 2
        assert buttons(last)["Previous page"]["data"]["page"] == pages - 1
    assert buttons(last)["Back to summary"]["verb"] == verbs.ASSESSMENT_SUMMARY


def test_blockers_show_subscription_level_first_with_fix() -> None:
    seen = texts(blockers_card(fx.CONTOSO, rules=fx.RULES))
    assert seen.index("Whole subscription") < seen.index("Group ")
    assert "**Fix:**" in seen


def test_blockers_name_each_resource_once_with_all_its_findings_and_count_kinds_apart() -> None:
    entries = blocker_entries(fx.CONTOSO)
    ids = [f.resource_id for e in entries for f in e.findings if f.resource_id]
    per_entry = [{f.resource_id for f in e.findings} for e in entries if e.kind not in ("group", "subscription")]
    assert all(len(s) == 1 for s in per_entry)  # an entry is one resource
    assert len({next(iter(s)) for s in per_entry}) == len(per_entry)  # and no resource twice
    assert len(ids) == len(stopping_findings(fx.CONTOSO)) - sum(
        1 for f in stopping_findings(fx.CONTOSO) if not f.resource_id)
    card = texts(blockers_card(fx.CONTOSO, per_page=100, rules=fx.RULES))
    kinds = Counter(e.severity for e in entries)
    assert f"{kinds[Severity.BLOCKER]} blocked, {kinds[Severity.FIX_FIRST]} fix first" in card


def test_commands_show_the_real_names_and_nothing_is_eaten_as_html() -> None:
    fix = Fix(FixAction.DISASSOCIATE_PUBLIC_IP, ("nic-id",), script("az vm update -g <group> -n vm-web_1 --set x=*"),
              "https://x")
    finding = Finding("N1", Severity.FIX_FIRST, "nic-web-1 is associated with Standard public IP pip-1.",
                      "Disassociate it.", "https://learn.microsoft.com/x", "/subscriptions/s/resourceGroups/rg-web/"
                      "providers/Microsoft.Network/networkInterfaces/nic-web-1", "rg-web", fix)
    group = GroupAssessment("rg-web", Verdict.READY_AFTER_FIXES, (finding.resource_id,), (finding,))
    card = blockers_card(replace(fx.CONTOSO, groups=(group,), preconditions=()))
    blocks = [b for b in walk(card) if b.get("fontType") == "monospace"]
    # A TextRun, never read as Markdown: every character as it is, quoted for the shell.
    assert [(b["type"], b["text"]) for b in blocks] == [
        ("TextRun", "az vm update -g '<group>' -n vm-web_1 --set 'x=*'")]
    assert "nic-web-1" in texts(card) and "1 fix first." in texts(card)


def test_dry_run_lists_failures_first() -> None:
    seen = texts(dry_run_card(fx.CONTOSO))
    failed = sorted(g.name for g in fx.CONTOSO.groups if g.dry_run and not g.dry_run.valid)
    assert f"{len(failed)} groups" in seen
    assert seen.index(f"{failed[0]}**: failed") < seen.index("passed")
    assert "MissingMoveDependentResources" in seen  # the innermost ARM error, not the wrapper


# ------------------------------------------- move requests (plan and approval cards: test_plan.py, test_approval.py)


def test_move_progress_huge() -> None:
    request = fx.make_request(fx.HUGE, RequestState.MOVING, moved_fraction=0.4, failed_groups=1)
    seen = texts(move_progress_card(request))
    assert f"Moved {request.moved_count:,} of 784 resources" in seen
    assert "And 54 more groups:" in seen
    assert buttons(move_progress_card(request))["Refresh status"]["data"] == {"requestId": request.id}


def test_final_report_lists_failures_and_checklist() -> None:
    request = fx.make_request(fx.HUGE, RequestState.PARTIALLY_SUCCEEDED, moved_fraction=0.9, failed_groups=7)
    report = fx.move_report(request)
    card = final_report_card(report, report_url="https://x.example/reports/t.csv", expires_at=fx.AT)
    seen = texts(card)
    assert "Needs you" in seen and "ResourceMoveFailed" in seen
    assert seen.count("**Failed**: Move group") == 7, "every group that did not move, with Azure's reason"
    # Each with its command, whole; one too long for a card (hundreds of resource ids) is left to the report.
    for step in report.undone():
        assert (step.command.posix() in seen) != (len(step.command.posix()) > 600)
    assert seen.count("is in the move report, to copy from there") == sum(len(s.command.posix()) > 600
                                                                         for s in report.undone())
    assert "Re-create role assignments" in seen and "Buy a support plan" in seen
    assert "Finished 2026-11-23 14:05 UTC" in seen
    assert buttons(card)["Download the move report (CSV)"]["type"] == "Action.OpenUrl"


@pytest.mark.parametrize("assessment", [fx.CONTOSO, fx.HUGE], ids=["contoso", "huge"])
def test_final_report_commands_are_whole_or_left_to_the_report(assessment) -> None:
    """A clipped command would run and do part of the work: each is on the card whole, or in the report."""
    request = fx.make_request(assessment, RequestState.PARTIALLY_SUCCEEDED, moved_fraction=0.9, failed_groups=7)
    report = fx.move_report(request)
    card = final_report_card(report)
    shown = [b["text"] for b in walk(card) if b.get("fontType") == "monospace"]
    fits = [s.command for s in report.undone() if len(s.command.posix()) <= 600]
    assert shown[0::2] == [c.posix() for c in fits] and "…" not in "".join(shown)
    assert shown[1::2] == [c.powershell() for c in fits], "each for PowerShell too"
    assert texts(card).count("is in the move report, to copy from there") == len(report.undone()) - len(fits)


def test_history_paging() -> None:
    requests = fx.history(23)
    first, last = history_card(requests, page=1), history_card(requests, page=3)
    assert "23 requests. Page 1 of 3." in texts(first)
    assert "Previous page" not in buttons(first) and buttons(first)["Next page"]["data"] == {"page": 2}
    assert "Next page" not in buttons(last) and buttons(last)["Previous page"]["data"] == {"page": 2}
    assert "MV-1023" in texts(first)  # newest first
    assert "MV\u20111023" in json.dumps(first, ensure_ascii=False), "its id unbroken (non-breaking hyphen)"
    assert "No move requests yet" in texts(history_card([]))
