"""Microsoft.Billing as the partner reads it (api-version 2024-04-01): its billing accounts, and a customer on
a Microsoft Partner Agreement account with its Azure plans and resellers
(`…/customers/{tenant}?$expand=enabledAzurePlans,resellers`, learn.microsoft.com/azure/cost-management-billing/
manage/programmatically-create-subscription-microsoft-partner-agreement). These calls run in the partner's own
tenant (`ArmGateway.for_partner`), never in a customer's."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.model import BillingAccount, BillingCustomer

BILLING_API = "2024-04-01"
ACCOUNTS = "/providers/Microsoft.Billing/billingAccounts"


def _account(entry: dict[str, Any]) -> BillingAccount:
    properties = entry.get("properties") or {}
    return BillingAccount(name=str(entry.get("name") or ""), display_name=str(properties.get("displayName") or ""),
                          agreement_type=str(properties.get("agreementType") or ""))


def _customer(entry: dict[str, Any]) -> BillingCustomer:
    properties = entry.get("properties") or {}
    return BillingCustomer(
        tenant_id=str(entry.get("name") or ""), display_name=str(properties.get("displayName") or ""),
        azure_plans=tuple(str(p.get("skuDescription") or p.get("skuId") or "")
                          for p in properties.get("enabledAzurePlans") or () if isinstance(p, dict)),
        resellers=tuple(str(r.get("resellerId") or "") for r in properties.get("resellers") or ()
                        if isinstance(r, dict)))


class ArmBilling:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors()
    async def list_billing_accounts(self) -> list[BillingAccount]:
        """The billing accounts the bot's identity may read (none without a billing role)."""
        return [_account(e) async for e in self._clients.pipeline().pages(ACCOUNTS, api_version=BILLING_API)]

    @maps_errors()
    async def get_billing_account(self, name: str) -> BillingAccount:
        return _account(await self._clients.pipeline().get_json(f"{ACCOUNTS}/{quote(name, safe=':')}",
                                                                api_version=BILLING_API))

    @maps_errors()
    async def get_customer(self, account: str, tenant_id: str) -> BillingCustomer:
        """The customer on the account, with its Azure plans (NotFound: not on it with an Azure plan)."""
        path = f"{ACCOUNTS}/{quote(account, safe=':')}/customers/{quote(tenant_id, safe='')}"
        response = await self._clients.pipeline().send("GET", f"{path}?$expand=enabledAzurePlans,resellers",
                                                       api_version=BILLING_API)
        found: dict[str, Any] = response.json()
        return _customer(found)
