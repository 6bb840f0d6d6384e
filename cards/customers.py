"""The customer registry as partner admins see it: the list, one customer with who may act for it and the
changes made (who, when, what). Names and ids are shown as data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cards import _kit as k
from migration.model.customers import Customer, Role

ROLE_TITLES = {Role.ENGINEER: "Engineers", Role.APPROVER: "Approvers"}
RECENT_CHANGES = 8


def customers_card(customers: Sequence[Customer]) -> dict[str, Any]:
    if not customers:
        return k.card([k.heading("Customers"), k.text("No customer is registered yet."),
                       k.text("**What to do:** `customer add <tenant id or domain> <name>`, then "
                              "`customer grant <tenant> engineer|approver <object id or group id>`.")],
                      fallback_text="No customer is registered yet.")
    rows = [(c.name, f"{c.tenant} · {len(c.principals(Role.ENGINEER))} engineer grant(s), "
                     f"{len(c.principals(Role.APPROVER))} approver grant(s)") for c in customers]
    return k.card([k.heading(f"Customers ({len(customers)})"), k.facts(rows),
                   k.text("**What to do:** `customer show <tenant>` for one customer's people and changes.",
                          spacing=None)],
                  fallback_text=f"{len(customers)} customers")


def customer_card(customer: Customer, *, note: str | None = None) -> dict[str, Any]:
    body: list[k.Element] = [k.heading(customer.name)]
    if note:
        body.append(k.note(k.untrusted(note)))
    body.append(k.facts([("Tenant", customer.tenant), ("Domains", ", ".join(customer.domains) or "–"),
                         ("Subscriptions", ", ".join(customer.subscriptions) or "all the bot can read")]))
    for role, title in ROLE_TITLES.items():
        body.append(k.subheading(title))
        people = customer.principals(role)
        body.append(k.data("\n".join(people)) if people else k.text("Nobody yet.", subtle=True))
    body.append(k.subheading("Changes"))
    recent = customer.changes[-RECENT_CHANGES:]
    body.append(k.facts([(f"{k.utc(c.at)} {c.by_name}", c.what) for c in reversed(recent)]))
    body.append(k.text("**What to do:** `customer grant|revoke " + k.untrusted(customer.tenant) +
                       " engineer|approver <object id or group id>`.", small=True))
    return k.card(body, fallback_text=f"Customer {customer.name} ({customer.tenant})")
