"""The attach card's Partner Center section: what the partner's billing side says of the customer (reseller
relationship and Azure plan confirmed; no Azure plan on the billing account yet; or the billing side could
not be read), and the next step for each."""

from __future__ import annotations

from cards import _kit as k
from cards.tenant import invitation_url
from migration.application.relationship import NO_PARTNER_ACCOUNT, NOT_A_PARTNER_ACCOUNT
from migration.model import Relationship, RelationshipStatus

# Microsoft Learn: the Azure plan (partner-center/azure-plan-get-started); the roles that read MPA customers and
# create their subscriptions (cost-management-billing/manage/programmatically-create-subscription-microsoft-
# partner-agreement: "Admin Agent"); Partner Center's roles (partner-center/account-settings/permissions-overview).
AZURE_PLAN_URL = "https://learn.microsoft.com/partner-center/azure-plan-get-started"
ADMIN_AGENT_URL = "https://learn.microsoft.com/partner-center/account-settings/permissions-overview"


def _confirmed(rel: Relationship) -> list[k.Element]:
    assert rel.account is not None and rel.customer is not None
    plans = ", ".join(rel.customer.azure_plans)
    return [k.text(f"✓ Reseller relationship and Azure plan confirmed: **{k.untrusted(rel.customer.display_name)}** "
                   f"is a customer on the billing account **{k.untrusted(rel.account.display_name)}** with "
                   f"{k.untrusted(plans)}. CSP subscriptions for it are billed to "
                   f"{k.untrusted(rel.customer.billing_scope(rel.account))}.")]


def _no_plan(rel: Relationship, partner_tenant_id: str) -> list[k.Element]:
    account = k.untrusted(rel.account.display_name) if rel.account else "the partner's billing account"
    out = [k.text(f"✗ No Azure plan for this customer on the billing account **{account}** yet. That does not "
                  "prove there is no reseller relationship: the billing account lists only customers that have an "
                  "Azure plan."),
           k.bullets([f"In Partner Center: **Customers**, this customer, **Add products**, **Azure plan** "
                      f"([Microsoft Learn]({AZURE_PLAN_URL})); then click **Check again**."])]
    if partner_tenant_id:
        out.append(k.text("No reseller relationship yet? The customer's global admin accepts it at this link first:",
                          small=True, subtle=True))
        out.append(k.data(invitation_url(partner_tenant_id), small=True))
    return out


def _unreadable(rel: Relationship) -> list[k.Element]:
    if rel.code == NO_PARTNER_ACCOUNT:
        why = ("the bot's identity sees no Microsoft Partner Agreement billing account, so it may not read the "
               "partner's billing side")
    elif rel.code == NOT_A_PARTNER_ACCOUNT:
        why = "BILLING_ACCOUNT_ID names a billing account that is not a Microsoft Partner Agreement"
    else:
        why = "Azure refused to show it"
    out = [k.note(f"The partner's billing side could not be read: {why}. Nothing is known yet about the reseller "
                  "relationship or the Azure plan."),
           k.bullets([f"In Partner Center, give the bot's identity the **Admin Agent** role ([Microsoft Learn]"
                      f"({ADMIN_AGENT_URL})), or set BILLING_ACCOUNT_ID to the partner's Microsoft Partner Agreement "
                      "billing account; then click **Check again**."])]
    if rel.detail or rel.code not in (NO_PARTNER_ACCOUNT, NOT_A_PARTNER_ACCOUNT, ""):
        out.append(k.text("Azure said:", small=True, subtle=True))
        out.append(k.data(f"{rel.code}: {rel.detail}".strip(": "), small=True))
    return out


def relationship_section(rel: Relationship, *, partner_tenant_id: str) -> list[k.Element]:
    """`partner_tenant_id`: for the reseller-relationship invitation link (none without it)."""
    body: list[k.Element] = [k.subheading("Partner Center: relationship and Azure plan")]
    if rel.status is RelationshipStatus.CONFIRMED:
        return body + _confirmed(rel)
    if rel.status is RelationshipStatus.NO_AZURE_PLAN:
        return body + _no_plan(rel, partner_tenant_id)
    return body + _unreadable(rel)
