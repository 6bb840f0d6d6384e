"""Microsoft Defender for Cloud at subscription scope, as Microsoft.Security answers it: the plans
(`pricings`, api-version 2024-01-01: each plan listed, read and set, Free or Standard, with its sub-plan and
extensions) and the security contacts (`securityContacts`, api-version 2023-12-01-preview), from the
subscription's own settings (a plan not set is Free).

Decided as Azure decides: a plan is one Defender knows, its tier Free or Standard, its sub-plan one the plan
offers (none on Free), its extensions the plan's; a contact has an email or notifies by role. Sources:
https://learn.microsoft.com/rest/api/defenderforcloud/pricings/update and
https://learn.microsoft.com/rest/api/defenderforcloud/security-contacts/create
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.routing import Body, route
from sandbox.state import Sub

PRICINGS, CONTACTS = "microsoft.security/pricings", "microsoft.security/securitycontacts"
BASE = "/subscriptions/{subscription}/providers/Microsoft.Security"
# Plan -> (its sub-plans, its extensions).
PLANS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "VirtualMachines": (("P1", "P2"), ("MdeDesignatedSubscription", "AgentlessVmScanning", "FileIntegrityMonitoring")),
    "StorageAccounts": (("PerTransaction", "DefenderForStorageV2"), ("OnUploadMalwareScanning",
                                                                       "SensitiveDataDiscovery")),
    "AppServices": ((), ()), "SqlServers": ((), ()), "SqlServerVirtualMachines": ((), ()),
    "OpenSourceRelationalDatabases": ((), ()), "CosmosDbs": ((), ()),
    "KeyVaults": (("PerTransaction", "PerKeyVault"), ()), "Arm": (("PerSubscription", "PerApiCall"), ()),
    "Containers": ((), ("ContainerRegistriesVulnerabilityAssessments", "AgentlessDiscoveryForKubernetes")),
    "CloudPosture": ((), ("SensitiveDataDiscovery", "AgentlessVmScanning", "AgentlessDiscoveryForKubernetes")),
    "Api": (("P1", "P2", "P3", "P4", "P5"), ()), "AI": ((), ()),
}
_BY_LOWER = {p.lower(): p for p in PLANS}


def _bad(message: str) -> ArmFailure:
    return ArmFailure(400, "BadRequest", message)


class DefenderApi(ArmApi):
    @staticmethod
    def _pricing(sub: Sub, plan: str) -> dict[str, Any]:
        found = sub.settings.get(PRICINGS, {}).get(plan.lower())
        props = dict(found["properties"]) if found else {"pricingTier": "Free"}
        return {"id": f"/subscriptions/{sub.id}/providers/Microsoft.Security/pricings/{plan}", "name": plan,
                "type": "Microsoft.Security/pricings", "properties": props}

    @route("GET", BASE + "/pricings", "Pricings_List", action="Microsoft.Security/pricings/read")
    async def list_pricings(self, request: web.Request, caller: Caller, *, subscription: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        return self.answer({"value": [self._pricing(sub, p) for p in PLANS]})

    def _plan(self, name: str) -> str:
        plan = _BY_LOWER.get(name.lower())
        if plan is None:
            raise ArmFailure(404, "NotFound", f"Pricing '{name}' was not found.")
        return plan

    @route("GET", BASE + "/pricings/{name}", "Pricings_Get", action="Microsoft.Security/pricings/read")
    async def get_pricing(self, request: web.Request, caller: Caller, *, subscription: str,
                          name: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        return self.answer(self._pricing(sub, self._plan(name)))

    @route("PUT", BASE + "/pricings/{name}", "Pricings_Update", action="Microsoft.Security/pricings/write",
           body=Body.REQUIRED)
    async def put_pricing(self, request: web.Request, caller: Caller, *, subscription: str, name: str,
                          body: dict[str, Any]) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        plan = self._plan(name)
        props = body.get("properties")
        tier = str((props or {}).get("pricingTier", "")) if isinstance(props, dict) else ""
        if tier not in ("Free", "Standard"):
            raise _bad(f"Pricing tier '{tier}' is not valid for plan {plan}: use Free or Standard.")
        assert isinstance(props, dict)
        sub_plans, extensions = PLANS[plan]
        sub_plan = props.get("subPlan")
        if sub_plan is not None and (tier == "Free" or sub_plan not in sub_plans):
            raise _bad(f"Sub-plan '{sub_plan}' is not valid for plan {plan} on tier {tier}.")
        for ext in props.get("extensions") or []:
            if not isinstance(ext, dict) or ext.get("name") not in extensions:
                raise _bad(f"Extension '{(ext or {}).get('name')}' is not available for plan {plan}.")
        kept = {"pricingTier": tier, **({"subPlan": sub_plan} if sub_plan else {}),
                **({"extensions": props["extensions"]} if props.get("extensions") and tier == "Standard" else {})}
        sub.settings.setdefault(PRICINGS, {})[plan.lower()] = {"name": plan, "properties": kept}
        self.changed()
        return self.answer(self._pricing(sub, plan))

    @staticmethod
    def _contact(sub: Sub, contact: dict[str, Any]) -> dict[str, Any]:
        return {"id": f"/subscriptions/{sub.id}/providers/Microsoft.Security/securityContacts/{contact['name']}",
                "name": contact["name"], "type": "Microsoft.Security/securityContacts",
                "properties": contact["properties"]}

    @route("GET", BASE + "/securityContacts", "SecurityContacts_List",
           action="Microsoft.Security/securityContacts/read")
    async def list_contacts(self, request: web.Request, caller: Caller, *, subscription: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        return self.answer({"value": [self._contact(sub, c) for c in sub.settings.get(CONTACTS, {}).values()]})

    @route("GET", BASE + "/securityContacts/{name}", "SecurityContacts_Get",
           action="Microsoft.Security/securityContacts/read")
    async def get_contact(self, request: web.Request, caller: Caller, *, subscription: str,
                          name: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        found = sub.settings.get(CONTACTS, {}).get(name.lower())
        if found is None:
            raise ArmFailure(404, "NotFound", f"Security contact '{name}' was not found.")
        return self.answer(self._contact(sub, found))

    @route("PUT", BASE + "/securityContacts/{name}", "SecurityContacts_Create",
           action="Microsoft.Security/securityContacts/write", body=Body.REQUIRED)
    async def put_contact(self, request: web.Request, caller: Caller, *, subscription: str, name: str,
                          body: dict[str, Any]) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        props = body.get("properties")
        if name.lower() != "default":
            raise _bad("A subscription has one security contact, named 'default'.")
        roles = ((props or {}).get("notificationsByRole") or {}) if isinstance(props, dict) else {}
        if not isinstance(props, dict) or not (props.get("emails") or roles.get("roles")):
            raise _bad("A security contact needs an email or a role to notify.")
        contact = {"name": "default", "properties": props}
        sub.settings.setdefault(CONTACTS, {})["default"] = contact
        self.changed()
        return self.answer(self._contact(sub, contact), 201)
