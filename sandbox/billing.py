"""Microsoft.Billing as a partner sees it: the billing accounts the caller may read, and the customers on a
Microsoft Partner Agreement account (`$expand=enabledAzurePlans,resellers`).

Who may read: a token of the account's tenant whose principal holds Partner Center's Admin Agent role there
(`adminAgents` in the scenario), or the sandbox's static partner token. Azure lists only the accounts the
caller may read; naming one it may not read is refused (403). The customers API lists "customers in the
billing account with Azure plans" (learn.microsoft.com/azure/cost-management-billing/manage/
programmatically-create-subscription-microsoft-partner-agreement), so a customer whose reseller relationship
has no Azure plan yet is not found, exactly like one with no relationship at all.
Shapes: Azure/azure-rest-api-specs `specification/billing/resource-manager/Microsoft.Billing/stable/2024-04-01/`
(billingAccount.json, customer.json).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.partner import AZURE_PLANS, BillingAccount, Customer
from sandbox.routing import Within, route

ACCOUNTS = "/providers/Microsoft.Billing/billingAccounts"


def may_read(caller: Caller, account: BillingAccount) -> bool:
    """The caller acts in the account's tenant with the Admin Agent role (or is the static partner token)."""
    if caller.static:
        return caller.static_tenant is None
    if caller.tenant_id.lower() != account.tenant_id.lower():
        return False
    return bool({p.lower() for p in caller.principals} & account.admin_agents)


def no_billing_access(caller: Caller, action: str, scope: str) -> ArmFailure:
    who = caller.claims.get("oid", "")
    return ArmFailure(403, "AuthorizationFailed",
                      f"The client '{who}' with object id '{who}' does not have authorization to perform action "
                      f"'{action}' over scope '{scope}' or the scope is invalid.")


def readable_account(api: ArmApi, caller: Caller, name: str, action: str) -> BillingAccount:
    account = api.world.partner.account(name)
    if account is None:
        raise ArmFailure(404, "NotFound", f"Billing account '{name}' was not found.")
    if not may_read(caller, account):
        raise no_billing_access(caller, action, account.id)
    return account


def account_body(account: BillingAccount) -> dict[str, Any]:
    return {"id": account.id, "name": account.name, "type": "Microsoft.Billing/billingAccounts",
            "properties": {"accountStatus": "Active", "accountType": "Partner",
                           "agreementType": account.agreement_type, "displayName": account.display_name,
                           "hasReadAccess": True}}


def customer_body(account: BillingAccount, customer: Customer, expand: str) -> dict[str, Any]:
    properties: dict[str, Any] = {"displayName": customer.display_name, "systemId": customer.tenant_id,
                                  "billingProfileDisplayName": account.display_name, "status": "Active"}
    wanted = {part.strip().lower() for part in expand.split(",")}
    if "enabledazureplans" in wanted:
        properties["enabledAzurePlans"] = [dict(p) for p in AZURE_PLANS] if customer.azure_plan else []
    if "resellers" in wanted:
        properties["resellers"] = [dict(r) for r in customer.resellers]
    return {"id": f"{account.id}/customers/{customer.tenant_id}", "name": customer.tenant_id,
            "type": "Microsoft.Billing/billingAccounts/customers", "properties": properties}


class BillingApi(ArmApi):
    @route("GET", ACCOUNTS, "BillingAccounts_List", action=None, within=Within.TENANT)
    async def list_accounts(self, request: web.Request, caller: Caller) -> web.Response:
        visible = [account_body(a) for a in self.world.partner.accounts.values() if may_read(caller, a)]
        return self.answer(self.page(request, visible))

    @route("GET", ACCOUNTS + "/{account}", "BillingAccounts_Get", action=None, within=Within.TENANT)
    async def get_account(self, request: web.Request, caller: Caller, *, account: str) -> web.Response:
        return self.answer(account_body(readable_account(self, caller, account,
                                                         "Microsoft.Billing/billingAccounts/read")))

    @route("GET", ACCOUNTS + "/{account}/customers", "Customers_ListByBillingAccount", action=None,
           within=Within.TENANT)
    async def list_customers(self, request: web.Request, caller: Caller, *, account: str) -> web.Response:
        found = readable_account(self, caller, account, "Microsoft.Billing/billingAccounts/customers/read")
        expand = request.query.get("$expand", "")
        return self.answer(self.page(request, [customer_body(found, c, expand) for c in found.customers.values()
                                               if c.azure_plan]))

    @route("GET", ACCOUNTS + "/{account}/customers/{customer}", "Customers_Get", action=None, within=Within.TENANT)
    async def get_customer(self, request: web.Request, caller: Caller, *, account: str,
                           customer: str) -> web.Response:
        found = readable_account(self, caller, account, "Microsoft.Billing/billingAccounts/customers/read")
        entry = found.customers.get(customer.lower())
        if entry is None or not entry.azure_plan:
            raise ArmFailure(404, "NotFound", f"Customer '{customer}' was not found on billing account "
                                              f"'{found.name}'.")
        return self.answer(customer_body(found, entry, request.query.get("$expand", "")))
