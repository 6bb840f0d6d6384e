"""Attach's look at the partner's billing side: is the customer on the partner's Microsoft Partner Agreement
billing account with an Azure plan? Read in the partner's own tenant. The customers API lists only customers
with Azure plans, so "not found" means no Azure plan on that account yet, never "no relationship"
(learn.microsoft.com/azure/cost-management-billing/manage/programmatically-create-subscription-microsoft-
partner-agreement). A billing side the bot cannot read is said as such: it proves nothing either way."""

from __future__ import annotations

import logging

from migration.azure.ports import Billing, HasPartner
from migration.model import ArmError, BillingAccount, NotFound, Relationship, RelationshipStatus

log = logging.getLogger(__name__)

NO_PARTNER_ACCOUNT = "NoPartnerAgreementAccount"  # the identity sees no MPA billing account
NOT_A_PARTNER_ACCOUNT = "NotAPartnerAgreementAccount"  # BILLING_ACCOUNT_ID names another kind of account


class PartnerRelationship:
    def __init__(self, *, gateway: HasPartner, billing_account_id: str = "") -> None:
        self._gateway = gateway
        self._account_id = billing_account_id  # BILLING_ACCOUNT_ID: overrides the choice of account

    async def check(self, tenant_id: str) -> Relationship:
        billing = self._gateway.for_partner().billing
        try:
            accounts = await self._accounts(billing)
        except ArmError as exc:
            log.info("billing accounts could not be read: %s", exc.code)
            return Relationship(RelationshipStatus.UNREADABLE, code=exc.code, detail=exc.error.message)
        if not accounts:
            return Relationship(RelationshipStatus.UNREADABLE, code=NO_PARTNER_ACCOUNT)
        if not accounts[0].partner_agreement:
            return Relationship(RelationshipStatus.UNREADABLE, accounts[0], code=NOT_A_PARTNER_ACCOUNT)
        for account in accounts:
            try:
                customer = await billing.get_customer(account.name, tenant_id)
            except NotFound:
                continue
            except ArmError as exc:
                log.info("customer %s on %s could not be read: %s", tenant_id, account.name, exc.code)
                return Relationship(RelationshipStatus.UNREADABLE, account, code=exc.code, detail=exc.error.message)
            if customer.azure_plans:
                return Relationship(RelationshipStatus.CONFIRMED, account, customer)
        return Relationship(RelationshipStatus.NO_AZURE_PLAN, accounts[0])

    async def _accounts(self, billing: Billing) -> list[BillingAccount]:
        """The account BILLING_ACCOUNT_ID names, else every MPA account the identity may read."""
        if self._account_id:
            return [await billing.get_billing_account(self._account_id)]
        return [a for a in await billing.list_billing_accounts() if a.partner_agreement]
