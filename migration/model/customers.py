"""A customer of the partner, as the bot's access model knows it: its tenant, what of it is in scope, and the
partner's people who may act for it (each a user or an Entra security group, by object id)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    """What a grant lets its people do for one customer."""

    ENGINEER = "engineer"  # attach, assess, plan moves, see the customer's requests and reports
    APPROVER = "approver"  # approve or reject the customer's move requests


@dataclass(frozen=True, slots=True)
class Grant:
    """A role for one principal of the partner's tenant: a user, or a security group whose members (transitively,
    as Microsoft Graph's checkMemberGroups says) have it. Which of the two an id is, Graph knows."""

    role: Role
    principal: str  # Entra object id, lower-case


@dataclass(frozen=True, slots=True)
class Change:
    """One change to a customer's record: who made it, when, and what (a sentence of the bot's own words)."""

    by_id: str  # Entra object id of the partner admin ("file" for CUSTOMERS_FILE)
    by_name: str
    at: datetime
    what: str


@dataclass(frozen=True, slots=True)
class Customer:
    tenant: str  # the customer's tenant id, lower-case (the registry's key)
    name: str
    domains: tuple[str, ...] = ()  # verified domains, lower-case
    subscriptions: tuple[str, ...] = ()  # in scope; empty: every subscription the bot can read
    grants: tuple[Grant, ...] = ()
    changes: tuple[Change, ...] = field(default=())  # oldest first

    def names(self, tenant: str) -> bool:
        """`tenant` (an id or a verified domain) is this customer's."""
        key = tenant.strip().lower()
        return key == self.tenant or key in self.domains

    def principals(self, role: Role) -> tuple[str, ...]:
        return tuple(g.principal for g in self.grants if g.role is role)

    def subscription_in_scope(self, subscription_id: str) -> bool:
        return not self.subscriptions or subscription_id.lower() in self.subscriptions

    def granted(self, grant: Grant, change: Change) -> Customer:
        if grant in self.grants:
            return self
        return replace(self, grants=(*self.grants, grant), changes=(*self.changes, change))

    def scoped(self, subscriptions: tuple[str, ...], change: Change) -> Customer:
        """In scope from now: `subscriptions` (lower-case ids), or () for every one the bot can read."""
        if subscriptions == self.subscriptions:
            return self
        return replace(self, subscriptions=subscriptions, changes=(*self.changes, change))

    def revoked(self, grant: Grant, change: Change) -> Customer:
        kept = tuple(g for g in self.grants if g != grant)
        if kept == self.grants:
            return self
        return replace(self, grants=kept, changes=(*self.changes, change))
