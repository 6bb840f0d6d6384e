"""The partner's side of the world: its Microsoft Partner Agreement billing accounts, the customers on them
(a reseller relationship, with or without an Azure plan), who may read them, and the subscription aliases
that create CSP subscriptions in a customer's tenant.

Scenario format (top-level `billingAccounts` and `aliases`):

    "billingAccounts": [{"name": "<guid>:<guid>_2019-05-31", "displayName": "...", "tenantId": "<partner>",
                         "agreementType": "MicrosoftPartnerAgreement", "adminAgents": ["<object or client id>"],
                         "customers": [{"tenantId": "<customer>", "displayName": "...", "azurePlan": true,
                                        "resellers": [{"resellerId": "...", "description": "..."}]}]}]

`adminAgents` are the partner tenant's principals holding Partner Center's Admin Agent role, the role
Microsoft documents for reading MPA customers and creating their subscriptions (learn.microsoft.com/azure/
cost-management-billing/manage/programmatically-create-subscription-microsoft-partner-agreement).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

MPA = "MicrosoftPartnerAgreement"
# Microsoft's Azure plan SKUs ("Microsoft Azure Plan", "... for DevTest"), as the billing API lists them.
AZURE_PLANS = ({"productId": "DZH318Z0BPS6", "skuId": "0001", "skuDescription": "Microsoft Azure Plan"},
               {"productId": "DZH318Z0BPS6", "skuId": "0002", "skuDescription": "Microsoft Azure Plan for DevTest"})
# The offer a subscription created on an Azure plan carries (its quotaId), per workload.
CSP_OFFERS = {"production": "CSP_2015-05-01", "devtest": "CSPDEVTEST_2018-05-01"}


@dataclass(slots=True)
class Customer:
    tenant_id: str
    display_name: str
    azure_plan: bool  # false: a reseller relationship without an Azure plan yet
    resellers: list[dict[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class BillingAccount:
    name: str
    display_name: str
    tenant_id: str  # the partner's tenant
    agreement_type: str = MPA
    admin_agents: set[str] = field(default_factory=set)  # lower-case object ids or client ids
    customers: dict[str, Customer] = field(default_factory=dict)  # lower-case tenant id -> customer

    @property
    def id(self) -> str:
        return f"/providers/Microsoft.Billing/billingAccounts/{self.name}"


@dataclass(slots=True)
class Alias:
    """A subscription creation request; `subscription_id` exists in the world once `due` has passed."""

    name: str
    subscription_id: str
    display_name: str
    workload: str
    billing_scope: str
    tenant_id: str  # the customer's tenant, where the subscription lives
    requested_in: str  # the tenant whose token asked for it (aliases are read in that tenant)
    owner_id: str | None
    tags: dict[str, str]
    created: str
    due: float
    done: bool = False

    def to_scenario(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in Alias.__dataclass_fields__}


def alias_key(tenant: str, name: str) -> str:
    return f"{tenant}/{name}".lower()


class PartnerSide:
    def __init__(self, scenario: dict[str, Any]) -> None:
        self.accounts: dict[str, BillingAccount] = {}
        self.aliases: dict[str, Alias] = {}  # "{tenant}/{name}" in lower case -> alias (a tenant's own names)
        for a in scenario.get("billingAccounts") or []:
            account = BillingAccount(
                str(a["name"]), a.get("displayName", a["name"]), str(a["tenantId"]), a.get("agreementType", MPA),
                {str(p).lower() for p in a.get("adminAgents") or []})
            for c in a.get("customers") or []:
                account.customers[str(c["tenantId"]).lower()] = Customer(
                    str(c["tenantId"]), c.get("displayName", c["tenantId"]), bool(c.get("azurePlan", False)),
                    [dict(r) for r in c.get("resellers") or []])
            self.accounts[account.name.lower()] = account
        for a in scenario.get("aliases") or []:
            alias = Alias(**a)
            self.aliases[alias_key(alias.requested_in, alias.name)] = alias

    def account(self, name: str) -> BillingAccount | None:
        return self.accounts.get(name.lower())

    def new_alias(self, name: str, *, customer: Customer, properties: dict[str, Any], requested_in: str,
                  owner_id: str | None, tags: dict[str, str], seconds: float) -> Alias:
        alias = Alias(name, str(uuid.uuid4()), str(properties["displayName"]), str(properties["workload"]),
                      str(properties["billingScope"]), customer.tenant_id, requested_in, owner_id, tags,
                      time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), time.time() + seconds)
        self.aliases[alias_key(requested_in, name)] = alias
        return alias

    def to_scenario(self) -> dict[str, Any]:
        return {
            "billingAccounts": [
                {"name": a.name, "displayName": a.display_name, "tenantId": a.tenant_id,
                 "agreementType": a.agreement_type, "adminAgents": sorted(a.admin_agents),
                 "customers": [{"tenantId": c.tenant_id, "displayName": c.display_name, "azurePlan": c.azure_plan,
                                "resellers": c.resellers} for c in a.customers.values()]}
                for a in self.accounts.values()
            ],
            "aliases": [a.to_scenario() for a in self.aliases.values()],
        }
