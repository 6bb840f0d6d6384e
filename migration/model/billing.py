"""The partner's billing side, as Microsoft.Billing says it: the partner's Microsoft Partner Agreement
billing account, a customer on it with its Azure plans, and what attach concludes of the two."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import Enum

MPA = "MicrosoftPartnerAgreement"
# Names the bot's subscription aliases: one per (request, source), so a retry or a restart asks for the same one.
_ALIASES = uuid.UUID("6f2c1a9e-4b7d-5e38-9c0a-5ab1a11a5000")


@dataclass(frozen=True, slots=True)
class BillingAccount:
    name: str  # "{guid}:{guid}_2019-05-31"
    display_name: str
    agreement_type: str

    @property
    def id(self) -> str:
        return f"/providers/Microsoft.Billing/billingAccounts/{self.name}"

    @property
    def partner_agreement(self) -> bool:
        return self.agreement_type == MPA


@dataclass(frozen=True, slots=True)
class BillingCustomer:
    tenant_id: str  # a customer's name on an MPA account is its tenant id
    display_name: str
    azure_plans: tuple[str, ...]  # the Azure plans' SKU descriptions ("Microsoft Azure Plan", ...)
    resellers: tuple[str, ...] = ()  # indirect resellers' ids

    def billing_scope(self, account: BillingAccount) -> str:
        """Where a CSP subscription for this customer is billed (the subscription alias API's billingScope)."""
        return f"{account.id}/customers/{self.tenant_id}"


class RelationshipStatus(Enum):
    CONFIRMED = "confirmed"  # the customer is on the partner's MPA account with an Azure plan
    NO_AZURE_PLAN = "no-azure-plan"  # not on the account with an Azure plan (a relationship may still exist)
    UNREADABLE = "unreadable"  # the billing side could not be read


@dataclass(frozen=True, slots=True)
class Relationship:
    """What the partner's billing side says of a customer."""

    status: RelationshipStatus
    account: BillingAccount | None = None
    customer: BillingCustomer | None = None
    detail: str = ""  # Azure's words, when it refused (text from Azure: shown as data)
    code: str = ""  # Azure's error code, when it refused


class Workload(Enum):
    """A CSP subscription's workload (the alias API's `workload`): the Azure plan's offer, or its Dev/Test one."""

    PRODUCTION = "Production"
    DEVTEST = "DevTest"


def alias_name(request_id: str, source_subscription_id: str) -> str:
    """The subscription alias the bot asks for when it creates the CSP subscription for `source` in a request: the
    same every time, so asking again finds the subscription already asked for instead of creating another."""
    return str(uuid.uuid5(_ALIASES, f"{request_id}/{source_subscription_id}".lower()))


@dataclass(frozen=True, slots=True)
class CreatedSubscription:
    """A subscription alias as Azure answers it: the subscription it created (or is creating)."""

    alias: str
    subscription_id: str
    display_name: str
    billing_scope: str
    workload: str
    state: str  # Accepted, Succeeded, Failed
    tags: dict[str, str] = field(default_factory=dict, hash=False)

    @property
    def succeeded(self) -> bool:
        return self.state == "Succeeded"
