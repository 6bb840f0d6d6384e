"""Tenant cards: the attach result, and the invitation to send when the partner cannot act yet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from adaptive_cards import types

from cards import _kit as k
from cards import verbs
from migration.model import Offer, Subscription

MAX_LISTED = 20

INVITATION_URL = (
    "https://admin.microsoft.com/Adminportal/Home?invType=ResellerRelationship&partnerId={partner}"
    "#/BillingAccounts/partner-invitation"
)


def invitation_url(partner_tenant_id: str) -> str:
    return INVITATION_URL.format(partner=quote(partner_tenant_id, safe=""))


def _role(offer: Offer) -> str:
    if offer.target_allowed:
        return "CSP target"
    return "Can move" if offer.source_allowed else "Not supported"


def attach_result_card(
    *,
    tenant: str,
    tenant_id: str,
    subscriptions: Sequence[tuple[Subscription, Offer]],
) -> dict[str, Any]:
    """The partner can act in the tenant: list its subscriptions, sources and CSP targets apart."""
    sources = [(s, o) for s, o in subscriptions if o.source_allowed]
    targets = [(s, o) for s, o in subscriptions if o.target_allowed]
    body: list[k.Element] = [
        k.heading(f"Attached: {tenant}"),
        k.text(
            f"We can act in this tenant. It has {k.plural(len(subscriptions), 'subscription')}: "
            f"{k.num(len(sources))} can move to CSP, {k.num(len(targets))} already CSP.",
            spacing=types.Spacing.SMALL,
        ),
        k.facts([("Tenant id", tenant_id)]),
    ]
    if subscriptions:
        ordered = sorted(subscriptions, key=lambda so: (not so[1].source_allowed, so[0].display_name.lower()))
        shown = ordered[:MAX_LISTED]
        body.append(
            k.table(
                ["Subscription", "Offer", "State", "Role"],
                [(k.clip(s.display_name, 50), k.clip(o.name, 80), s.state, _role(o)) for s, o in shown],
                widths=[4, 4, 2, 3],
            )
        )
        if len(ordered) > len(shown):
            body.append(k.text(f"And {k.plural(len(ordered) - len(shown), 'more subscription')}.", subtle=True))
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
    return k.card(body, actions, fallback_text=f"Attached {tenant}.")


def invitation_card(*, tenant: str, partner_tenant_id: str, reason: str | None = None) -> dict[str, Any]:
    """We cannot act in the tenant: the customer's global admin must accept a reseller invitation."""
    url = invitation_url(partner_tenant_id)
    body: list[k.Element] = [
        k.heading(f"Not attached yet: {tenant}"),
        k.text(reason or "We have no reseller relationship with this tenant yet, so we cannot read it."),
        k.subheading("What to do"),
        k.numbered(
            [
                "Send the link below to the customer's global admin.",
                "They sign in and accept the invitation.",
                "Click Check again.",
            ]
        ),
        # The link as text too, so it can be copied into an email.
        k.text(url, small=True, subtle=True),
    ]
    actions: list[k.Action] = [
        k.open_url("Open invitation link", url),
        k.execute("Check again", verbs.ATTACH_CHECK, {"tenant": tenant}, style=types.ActionStyle.POSITIVE),
    ]
    return k.card(body, actions, fallback_text=f"{tenant} is not attached. Send the invitation: {url}")
