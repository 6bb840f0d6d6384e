"""Every card the bot can show, built from the fixtures: contoso-sized and the largest tenant.

Shared by the schema and render tests and by `tools/cards_gallery.py` (`make cards`), so a new
builder is checked everywhere once it is added here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from cards.approval import approval_card
from cards.assessment import (
    BLOCKERS_PER_PAGE,
    assessment_summary_card,
    blockers_card,
    dry_run_card,
    page_count,
    stopping_findings,
)
from cards.blockers import not_ready_card
from cards.customers import customer_card, customers_card
from cards.help import help_card
from cards.messages import error_card, not_allowed_card, question_card, unknown_action_card
from cards.move import history_card, move_progress_card
from cards.movereport import final_report_card
from cards.pickers import group_picker_card, subscription_picker_card, target_picker_card
from cards.plan import create_groups_card, move_plan_card, plan_updating_card
from cards.progress import Step, work_progress_card
from cards.relationship import relationship_section
from cards.tenant import attach_result_card, invitation_card, onboarding_card
from cards.verbs import MOVE_SOURCE
from migration.application.relationship import NO_PARTNER_ACCOUNT
from migration.azure.permissions import AccessIdentity, evaluate
from migration.model import (
    AccessCause,
    Assessment,
    BillingAccount,
    BillingCustomer,
    Permission,
    Relationship,
    RelationshipStatus,
    RequestState,
    Verdict,
)
from migration.model.customers import Change, Customer, Grant, Role
from tests.support.cards import fixtures as fx

SIZES: dict[str, Assessment] = {"contoso": fx.CONTOSO, "huge": fx.HUGE}
REPORT_URL = "https://bot.contoso-partner.example/reports/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWo.csv"


def all_ready(assessment: Assessment) -> Assessment:
    """Worst case for the group picker: every one of the 500 groups is ready."""
    return replace(assessment, groups=tuple(replace(g, verdict=Verdict.READY, dry_run=None) for g in assessment.groups))


def _dry_runs(a: Assessment) -> list[Any]:
    return [g.dry_run for g in a.groups if g.dry_run is not None]


APP_IDENTITY = AccessIdentity(mode="app", kind="federated credential (managed identity)",
                              app_id="a9a9a9a9-0000-4000-8000-0000000000a1", partner_tenant_id=fx.PARTNER_TENANT_ID)
LIGHTHOUSE_IDENTITY = AccessIdentity(mode="lighthouse", kind="managed identity", partner_tenant_id=fx.PARTNER_TENANT_ID,
                                     principal_id="e2e2e2e2-0000-4000-8000-0000000000e2")


MPA_ACCOUNT = BillingAccount("5e98e158-0000-4000-8000-000000000001:9a8b7c6d-0000-4000-8000-000000000002_2019-05-31",
                             "Partner MPA", "MicrosoftPartnerAgreement")
RELATIONSHIPS = (
    Relationship(RelationshipStatus.CONFIRMED, MPA_ACCOUNT,
                 BillingCustomer(fx.TENANT_ID, "Contoso Ltd", ("Microsoft Azure Plan",))),
    Relationship(RelationshipStatus.NO_AZURE_PLAN, MPA_ACCOUNT),
    Relationship(RelationshipStatus.UNREADABLE, code=NO_PARTNER_ACCOUNT),
    Relationship(RelationshipStatus.UNREADABLE, MPA_ACCOUNT, code="AuthorizationFailed",
                 detail="The client 'x' does not have authorization to perform action "
                        "'Microsoft.Billing/billingAccounts/customers/read'."),
)


def build_all() -> dict[str, dict[str, Any]]:
    cards: dict[str, dict[str, Any]] = {
        "help": help_card(sandbox=False),
        "help-sandbox": help_card(sandbox=True),
        "attach-result": attach_result_card(tenant=fx.TENANT, tenant_id=fx.TENANT_ID, subscriptions=fx.SUBSCRIPTIONS),
        "invitation": invitation_card(tenant=fx.TENANT, partner_tenant_id=fx.PARTNER_TENANT_ID),
        **{f"attach-result-relationship-{r.status.value}-{r.code or 'ok'}": attach_result_card(
            tenant=fx.TENANT, tenant_id=fx.TENANT_ID, subscriptions=fx.SUBSCRIPTIONS, recheck=True,
            relationship=relationship_section(r, partner_tenant_id=fx.PARTNER_TENANT_ID)) for r in RELATIONSHIPS},
        "not-ready": not_ready_card([g for g in fx.CONTOSO.groups if g.verdict is Verdict.BLOCKED][:3]),
        "attach-result-missing-permissions": attach_result_card(
            tenant=fx.TENANT, tenant_id=fx.TENANT_ID, subscriptions=fx.SUBSCRIPTIONS, identity=APP_IDENTITY,
            checks=tuple(c for s, o in fx.SUBSCRIPTIONS if o.source_allowed or o.target_allowed
                         for c in evaluate([Permission(("*/read",))], subscription_id=s.id,
                                           side="source" if o.source_allowed else "target"))),
        **{f"onboarding-{mode}-{cause.value}": onboarding_card(
            tenant=fx.TENANT, tenant_id=fx.TENANT_ID, cause=cause, identity=identity,
            detail="AADSTS700016: Application with identifier 'x' was not found in the directory 'Contoso'.",
            partner_tenant_id=fx.PARTNER_TENANT_ID if mode == "app" else "",
            template_url="https://bot.example.com/reports/abc.json" if mode == "lighthouse" else None)
           for mode, identity in (("app", APP_IDENTITY), ("lighthouse", LIGHTHOUSE_IDENTITY))
           for cause in AccessCause},
        "pick-subscription": subscription_picker_card(
            tenant_id=fx.TENANT_ID, tenant=fx.TENANT, subscriptions=fx.SUBSCRIPTIONS
        ),
        "pick-source-for-move": subscription_picker_card(
            tenant_id=fx.TENANT_ID, tenant=fx.TENANT, subscriptions=fx.SUBSCRIPTIONS, verb=MOVE_SOURCE
        ),
        "pick-target": target_picker_card(tenant_id=fx.TENANT_ID, source=fx.PROD, targets=fx.SUBSCRIPTIONS),
        "progress-reading": work_progress_card(
            "Assessing Contoso Production",
            [
                Step("Checking access", "done"),
                Step("Reading resources", "running", 4_000, 10_000),
                Step("Checking move rules", "waiting"),
                Step("Running Azure's dry run", "waiting"),
            ],
            started_at=fx.AT,
            updated_at=fx.AT,
        ),
        "error": error_card(
            "Azure refused to list the resources of Contoso Production.",
            "Give the partner the Owner role on the subscription, then try again.",
            code="AuthorizationFailed",
            retry_verb="assess.run",
            retry_data={"tenantId": fx.TENANT_ID, "subscriptionId": fx.PROD.id},
        ),
        "unknown-action": unknown_action_card("approve.v0"),
        "not-allowed": not_allowed_card("Only approvers can approve moves."),
        "question": question_card(
            "Attach a tenant", "Type the customer's domain (contoso.onmicrosoft.com) or tenant id."
        ),
        "history-empty": history_card([]),
        "history-page-1": history_card(fx.history(23), page=1),
        "history-page-3": history_card(fx.history(23), page=3),
    }
    for size, a in SIZES.items():
        dry = _dry_runs(a)
        draft = fx.make_request(a, RequestState.DRAFT)
        pending = fx.make_request(a, RequestState.PENDING_APPROVAL)
        approvers = [p.mri or "" for p in (fx.MANY_APPROVERS if size == "huge" else fx.APPROVERS)]
        blocker_pages = page_count(len(stopping_findings(a)), BLOCKERS_PER_PAGE)
        steps = fx.fix_plan(len(pending.groups))
        cards |= {
            f"summary-{size}": assessment_summary_card(a, rules=fx.RULES),
            f"summary-with-report-{size}": assessment_summary_card(
                a, rules=fx.RULES, report_url="https://bot.example.com/reports/Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA.csv"
            ),
            f"blockers-first-{size}": blockers_card(a, page=1, rules=fx.RULES),
            f"blockers-last-{size}": blockers_card(a, page=blocker_pages, rules=fx.RULES),
            f"dry-run-{size}": dry_run_card(a),
            f"pick-groups-{size}": group_picker_card(all_ready(a), target=fx.CSP_MAIN),
            f"create-groups-{size}": create_groups_card(draft, new_groups=draft.groups),
            f"move-plan-{size}": move_plan_card(draft, dry_runs=dry),
            f"move-plan-with-fixes-{size}": move_plan_card(
                draft, dry_runs=dry, steps=steps, manual=fx.MANUAL_FIXES,
                offered=["lift_read_only_lock", "disassociate_public_ip", "unlink_automation_workspace",
                         "recreate_managed_certificate"],
                kept=["lift_read_only_lock"]),
            f"approval-with-service-fixes-{size}": approval_card(
                pending, view="approver", approver_mris=approvers, checklist=fx.CHECKLIST,
                steps=(*steps, *fx.service_fix_plan()), manual=fx.MANUAL_FIXES),
            f"move-plan-changed-{size}": move_plan_card(
                draft, dry_runs=dry, steps=steps, offered=["lift_read_only_lock", "disassociate_public_ip"],
                kept=["lift_read_only_lock"], revision=3, after_fixes=[draft.groups[0].source_group],
                notice="The plan changed after that card was shown: this is the plan as it stands now. Check it, "
                       "then ask for approval again."),
            f"plan-updating-{size}": plan_updating_card(
                draft, kept=["lift_read_only_lock"], offered=["lift_read_only_lock", "disassociate_public_ip"]),
            f"final-report-with-steps-{size}": final_report_card(fx.move_report(
                fx.make_request(a, RequestState.SUCCEEDED, moved_fraction=1.0), steps=steps,
                records=fx.step_records(steps), manual=fx.MANUAL_FIXES), report_url=REPORT_URL, expires_at=fx.AT),
            f"final-report-with-steps-no-link-{size}": final_report_card(fx.move_report(
                fx.make_request(a, RequestState.PARTIALLY_SUCCEEDED, moved_fraction=0.9, failed_groups=7),
                steps=steps, records=fx.step_records(steps), manual=fx.MANUAL_FIXES,
                leftovers=tuple(r for g in a.groups[-7:] for r in g.resource_ids))),
            f"move-progress-{size}": move_progress_card(
                fx.make_request(a, RequestState.MOVING, moved_fraction=0.4, failed_groups=1)
            ),
            f"move-progress-with-steps-{size}": move_progress_card(
                fx.make_request(a, RequestState.MOVING, moved_fraction=0.4), steps=steps,
                records=fx.step_records(steps)),
            f"final-report-{size}": final_report_card(fx.move_report(
                fx.make_request(a, RequestState.PARTIALLY_SUCCEEDED, moved_fraction=0.9, failed_groups=7)),
                report_url=REPORT_URL, expires_at=fx.AT),
            f"final-report-succeeded-{size}": final_report_card(fx.move_report(
                fx.make_request(a, RequestState.SUCCEEDED, moved_fraction=1.0))),
        }
        for view in ("base", "approver", "requester"):
            cards[f"approval-{view}-{size}"] = approval_card(
                pending, view=view, approver_mris=approvers, checklist=fx.CHECKLIST, dry_runs=dry
            )
        cards[f"approval-approver-with-fixes-{size}"] = approval_card(
            pending, view="approver", approver_mris=approvers, checklist=fx.CHECKLIST, dry_runs=dry, steps=steps,
            manual=fx.MANUAL_FIXES)
        resource_steps, resource_manual = fx.resource_fix_plan()
        cards[f"approval-approver-with-resource-fixes-{size}"] = approval_card(
            pending, view="approver", approver_mris=approvers, checklist=fx.CHECKLIST, dry_runs=dry,
            steps=resource_steps, manual=resource_manual)
        network_steps, network_manual = fx.network_fix_plan()
        cards[f"approval-approver-with-network-fixes-{size}"] = approval_card(
            pending, view="approver", approver_mris=approvers, checklist=fx.CHECKLIST, dry_runs=dry,
            steps=network_steps, manual=network_manual)
        cards[f"approval-approved-{size}"] = approval_card(
            fx.make_request(a, RequestState.MOVING, moved_fraction=0.4),
            view="base",
            approver_mris=approvers,
            checklist=fx.CHECKLIST,
            dry_runs=dry,
        )
        cards[f"approval-rejected-{size}"] = approval_card(
            fx.make_request(a, RequestState.REJECTED), view="approver", approver_mris=approvers, checklist=fx.CHECKLIST
        )
    # The worst case: every one of 500 groups moved, 3,000 steps, every fourth fix step failed.
    everything = fx.make_request(all_ready(fx.HUGE), RequestState.PARTIALLY_SUCCEEDED, moved_fraction=0.95,
                                 failed_groups=25)
    many = fx.fix_plan(len(everything.groups))
    cards["final-report-500-groups"] = final_report_card(fx.move_report(
        everything, steps=many, records=fx.step_records(many), manual=fx.MANUAL_FIXES), report_url=REPORT_URL,
        expires_at=fx.AT)
    customer = Customer("a1a1a1a1-0000-4000-8000-0000000000a1", "Alpha *Ltd* [x](https://evil.example)",
                        ("alpha.onmicrosoft.com",), (),
                        (Grant(Role.ENGINEER, "00000000-0000-0000-0000-00000000a001"),
                         Grant(Role.APPROVER, "9e000000-0000-4000-8000-0000000000b1")),
                        tuple(Change("00000000-0000-0000-0000-00000000ad01", "Nestor Wilke",
                                     datetime(2026, 12, 7, 9, n, tzinfo=UTC), f"granted engineer to {n}")
                              for n in range(12)))
    cards["customers"] = customers_card([customer])
    cards["customers-none"] = customers_card([])
    cards["customer"] = customer_card(customer, note="Engineer granted to 00000000-0000-0000-0000-00000000a001.")
    return cards
