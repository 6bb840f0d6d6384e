"""Tenant cards: the attach result (subscriptions, and what the bot's identity may do on each: ✓ or ✗ with
the exact fix), and the onboarding card that names why the bot cannot act in a tenant and what fixes it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from adaptive_cards import types

from cards import _kit as k
from cards import verbs
from migration.azure.permissions import (
    AccessIdentity,
    Check,
    admin_consent_url,
    lighthouse_limits,
    missing_roles,
    portal_access_url,
    requirements,
    role_assignment_command,
)
from migration.model import AccessCause, Offer, ResourceId, Subscription
from migration.model.commands import Script

MAX_LISTED = 20
MAX_FIXES = 6  # subscriptions with a fix spelled out; more are summarised

INVITATION_URL = (
    "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId={partner}"
    "#/BillingAccounts/partner-invitation"
)
DEPLOY_URL = "https://portal.azure.com/#create/Microsoft.Template/uri/{uri}"
YES, NO, NA = "✓", "✗", "–"

CAUSE_TITLE = {
    AccessCause.APP_NOT_CONSENTED: "The partner's app is not consented in this tenant",
    AccessCause.TENANT_NOT_FOUND: "Microsoft Entra knows no such tenant",
    AccessCause.CREDENTIAL_REJECTED: "Entra refused the bot's own credential",
    AccessCause.IDENTITY_UNAVAILABLE: "The bot's Azure identity is not available",
    AccessCause.ROLE_MISSING: "Consented, but no Azure role",
    AccessCause.NOT_DELEGATED: "No Azure Lighthouse delegation",
    AccessCause.UNKNOWN: "The bot cannot act in this tenant",
}


def invitation_url(partner_tenant_id: str) -> str:
    return INVITATION_URL.format(partner=quote(partner_tenant_id, safe=""))


def _role(offer: Offer) -> str:
    if offer.target_allowed:
        return "CSP target"
    return "Source" if offer.source_allowed else "Offer can't move"


def _assignee(identity: AccessIdentity) -> str:
    return identity.app_id or identity.principal_id or "<the bot's identity>"


# --------------------------------------------------------------------------- attached


def _access_table(checks: Sequence[Check]) -> list[k.Element]:
    """One row per permission, one column per side: ✓ when every subscription of that side grants it."""
    rows = []
    for req in requirements():
        cells = []
        for side in ("source", "target"):
            mine = [c for c in checks if c.requirement.key == req.key and c.side == side]
            cells.append(NA if not mine else YES if all(c.granted for c in mine) else NO)
        rows.append((req.label, *cells))
    return [k.subheading("What the bot may do"), k.table(["Permission", "Sources", "CSP targets"], rows,
                                                          widths=[5, 2, 2])]


def _role_fixes(identity: AccessIdentity, tenant_id: str, checks: Sequence[Check],
                names: dict[str, str]) -> list[k.Element]:
    roles = missing_roles(checks)
    if not roles:
        return []
    out: list[k.Element] = [k.subheading("To fix")]
    for sub_id, wanted in list(roles.items())[:MAX_FIXES]:
        missing = sorted({c.requirement.label.lower() for c in checks if c.subscription_id == sub_id
                          and not c.granted})
        label = f"**{k.untrusted(names.get(sub_id, sub_id))}** (missing: {', '.join(missing)}): "
        if identity.mode == "lighthouse":
            delegable = [r for r in wanted if r != "User Access Administrator"]
            line = label
            if delegable:
                line += f"the customer adds {', '.join(delegable)} to the Lighthouse delegation. "
            if len(delegable) < len(wanted):
                line += ("Lighthouse cannot delegate lock removal or role assignments for people: the customer "
                         "does those steps.")
            out.append(k.bullets([line.strip()]))
            continue
        out.append(k.bullets([f"{label}run the command below, or in the portal: "
                              f"[Access control (IAM)]({portal_access_url(tenant_id, sub_id)})."]))
        script = Script(tuple(c for r in wanted for c in role_assignment_command(_assignee(identity), r, sub_id)))
        out += k.command(script)
    if len(roles) > MAX_FIXES:
        out.append(k.text(f"And {k.plural(len(roles) - MAX_FIXES, 'more subscription')} alike."))
    return out


def attach_result_card(
    *,
    tenant: str,
    tenant_id: str,
    subscriptions: Sequence[tuple[Subscription, Offer]],
    checks: Sequence[Check] = (),
    identity: AccessIdentity | None = None,
    relationship: Sequence[k.Element] = (),
    recheck: bool = False,
) -> dict[str, Any]:
    """The bot can act in the tenant: its subscriptions, sources and CSP targets apart, and what it may do;
    `relationship`: what the partner's billing side says of the customer (`cards.relationship`), `recheck`
    when that wants a Check again."""
    sources = [(s, o) for s, o in subscriptions if o.source_allowed]
    targets = [(s, o) for s, o in subscriptions if o.target_allowed]
    missing = [c for c in checks if not c.granted]
    summary = (f"We can act in this tenant. It has {k.plural(len(subscriptions), 'subscription')}: "
               f"{k.num(len(sources))} can move to CSP, {k.num(len(targets))} already CSP.")
    if checks:
        summary += (" Every permission a move needs is granted." if not missing else
                    f" {k.plural(len({c.requirement.key for c in missing}), 'permission')} a move needs "
                    "is missing: see below.")
    body: list[k.Element] = [
        k.heading(f"Attached: {tenant}"),
        k.text(summary, spacing=types.Spacing.SMALL),
        k.facts([("Tenant id", tenant_id)] + ([("Acting as", f"{identity.mode} ({identity.kind})")]
                                              if identity else [])),
    ]
    if subscriptions:
        ordered = sorted(subscriptions, key=lambda so: (not so[1].source_allowed, so[0].display_name.lower()))
        shown = ordered[:MAX_LISTED]
        body.append(
            k.table(
                ["Subscription", "Offer", "State", "In the move"],
                [(k.clip(s.display_name, 50), k.clip(o.name, 80), s.state, _role(o)) for s, o in shown],
                widths=[4, 4, 2, 3],
            )
        )
        if len(ordered) > len(shown):
            body.append(k.text(f"And {k.plural(len(ordered) - len(shown), 'more subscription')}.", subtle=True))
    if checks:
        body.extend(_access_table(checks))
        if identity is not None:
            body.extend(_role_fixes(identity, tenant_id, checks, {s.id: s.display_name for s, _ in subscriptions}))
    body.extend(relationship)
    if not targets:
        body.append(k.note("There is no CSP subscription yet. Create one in Partner Center before moving anything."))
    actions: list[k.Action] = []
    if sources:
        actions.append(
            k.execute(
                "Assess a subscription",
                verbs.ASSESS_START,
                {"tenantId": tenant_id},
                style=types.ActionStyle.POSITIVE,
            )
        )
    if missing or recheck:
        actions.append(k.execute("Check again", verbs.ATTACH_CHECK, {"tenant": tenant}))
    return k.card(body, actions, fallback_text=f"Attached {tenant}.")


def move_access_card(*, identity: AccessIdentity, tenant_id: str, checks: Sequence[Check], names: dict[str, str],
                     retry: dict[str, str]) -> dict[str, Any]:
    """Before a move: the bot's identity may not do what the move needs; what is missing and the exact fix."""
    body: list[k.Element] = [
        k.heading("Not allowed to move yet"),
        k.note("The bot's identity lacks permissions this move needs, so nothing was planned or changed."),
        *_access_table(checks),
        *_role_fixes(identity, tenant_id, checks, names),
    ]
    actions: list[k.Action] = [k.execute("Check again", verbs.MOVE_TARGET, retry, style=types.ActionStyle.POSITIVE)]
    return k.card(body, actions, fallback_text="The bot may not move these subscriptions yet.")


# --------------------------------------------------------------------------- not attached


def _relationship(partner_tenant_id: str) -> tuple[list[k.Element], list[k.Action]]:
    """The Partner Center reseller relationship: billing, not Azure access; said as such."""
    if not partner_tenant_id:
        return [k.text("The Partner Center reseller-relationship link cannot be shown: the bot's "
                       "PARTNER_TENANT_ID setting is missing.", small=True, subtle=True)], []
    url = invitation_url(partner_tenant_id)
    return ([k.text("Separately, for billing: the Partner Center reseller relationship makes the partner the "
                    "customer's CSP. It does not grant any access to Azure subscriptions.", small=True, subtle=True),
             k.data(url, small=True)],
            [k.open_url("Partner Center relationship (billing)", url)])


def onboarding_card(
    *,
    tenant: str,
    tenant_id: str | None,
    cause: AccessCause,
    detail: str,
    identity: AccessIdentity,
    partner_tenant_id: str,
    template_url: str | None = None,
    scope: str | None = None,
) -> dict[str, Any]:
    """Why the bot cannot act in the tenant, and the fix for that cause. `scope`: where Azure refused, when
    it said (the role assignment command is then filled in for that subscription)."""
    tid = tenant_id or tenant
    steps: list[str]
    actions: list[k.Action] = []
    lighthouse = identity.mode == "lighthouse"
    if cause is AccessCause.APP_NOT_CONSENTED:
        url = admin_consent_url(identity, tid)
        steps = [
            "Send the admin-consent link below to a global administrator of the customer's tenant.",
            f"They sign in and accept: the partner's app ({identity.app_id}) then exists in their tenant.",
            "Then grant it a role on the subscriptions to migrate (this card says which once consent is given).",
            "Click Check again.",
        ]
        actions.append(k.open_url("Open admin-consent link", url))
        extra = [k.data(url, small=True)]
    elif lighthouse and cause in (AccessCause.NOT_DELEGATED, AccessCause.ROLE_MISSING):
        steps = [
            "Send the delegation template below to the customer.",
            "An Owner of each subscription to migrate deploys it (Azure portal: Deploy a custom template, at "
            "subscription scope).",
            "Click Check again.",
        ]
        limits = lighthouse_limits()
        extra = [k.text("Azure Lighthouse cannot delegate Owner, and User Access Administrator only to assign roles "
                        "to managed identities. " + str(limits["steps"]["locks"]) + " "  # type: ignore[index]  # JSON data
                        + str(limits["steps"]["role_assignments"]), small=True)]  # type: ignore[index]  # JSON data
        if template_url:
            actions.append(k.open_url("Download delegation template", template_url))
            actions.append(k.open_url("Deploy in the customer's portal", DEPLOY_URL.format(uri=quote(template_url,
                                                                                                     safe=""))))
    elif cause in (AccessCause.ROLE_MISSING, AccessCause.NOT_DELEGATED):
        subscription = ResourceId.parse(scope).subscription if scope and ResourceId.is_valid(scope) else None
        command = role_assignment_command(_assignee(identity), "Contributor", subscription or "<subscription id>")
        where = ("" if subscription else " (with the subscription id filled in)")
        steps = [
            "In the customer's tenant, an Owner (or User Access Administrator) of each subscription to migrate "
            f"grants the bot's identity Contributor on it with the command below{where}, or in the portal under "
            "the subscription's Access control (IAM) > Add role assignment.",
            "For lock removal and role assignments after the move, also User Access Administrator.",
            "Click Check again.",
        ]
        extra = k.command(command)
        if subscription:
            actions.append(k.open_url("Open Access control (IAM)", portal_access_url(tid, subscription)))
    elif cause is AccessCause.TENANT_NOT_FOUND:
        steps = ["Check the spelling of the domain, or use the tenant id (a GUID) from the customer.",
                 "Type attach again with the corrected tenant."]
        extra = []
    elif cause in (AccessCause.CREDENTIAL_REJECTED, AccessCause.IDENTITY_UNAVAILABLE):
        steps = ["This is on the partner's side, not the customer's: the bot's operator fixes the bot's own "
                 f"identity ({identity.mode}, {identity.kind}).",
                 "Renew the client secret or certificate, or fix the managed identity or federated credential, "
                 "then update the bot's settings and restart it.",
                 "Click Check again."]
        extra = []
    else:
        steps = ["Check the bot's Azure identity and its access to this tenant.", "Click Check again."]
        extra = []
    relationship, relationship_actions = _relationship(partner_tenant_id)
    body: list[k.Element] = [
        k.heading(f"Not attached yet: {tenant}"),
        k.note(f"**{CAUSE_TITLE[cause]}.** {k.untrusted(k.sentences(detail, 300)[0])}"),
        k.subheading("What to do"),
        k.numbered(steps),
        *extra,
        *relationship,
    ]
    actions.append(k.execute("Check again", verbs.ATTACH_CHECK, {"tenant": tenant},
                             style=types.ActionStyle.POSITIVE))
    actions.extend(relationship_actions)
    return k.card(body, actions[:5], fallback_text=f"{tenant} is not attached: {CAUSE_TITLE[cause]}.")


def invitation_card(*, tenant: str, partner_tenant_id: str, reason: str | None = None) -> dict[str, Any]:
    """The sandbox's static token has no identity to fix: only the relationship applies there."""
    relationship, actions = _relationship(partner_tenant_id)
    body: list[k.Element] = [
        k.heading(f"Not attached yet: {tenant}"),
        k.text(k.untrusted(reason) if reason else "The sandbox gives this tenant no partner access (its scenario says "
               "so)."),
        *relationship,
    ]
    actions = [k.execute("Check again", verbs.ATTACH_CHECK, {"tenant": tenant}, style=types.ActionStyle.POSITIVE),
               *actions]
    return k.card(body, actions, fallback_text=f"{tenant} is not attached.")
