"""test-small plus the facts the fixes and the follow-through need: principals of the Fabrikam tenant (one
deleted), a custom role assignable only in the source subscription, role assignments made on groups and
resources, a Standard public IP on a NIC, and a peered pair of virtual networks."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.state import load_scenario
from tests.support.sandbox import FABRIKAM, PAYG, arm_id, group_id

ALICE = "a11ce000-0000-4000-8000-00000000a11c"  # a user
OPS = "0b500000-0000-4000-8000-0000000000b5"  # a group
BOB = "b0b00000-0000-4000-8000-000000000b0b"  # a user since deleted
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
APP_OPERATOR = "f00dcafe-0000-4000-8000-00000000c0de"  # custom role, assignable in PAYG only
STAPP1 = arm_id(PAYG, "rg-app", "Microsoft.Storage/storageAccounts/stapp1")
PIP = arm_id(PAYG, "rg-app", "Microsoft.Network/publicIPAddresses/pip-1")
NIC1 = arm_id(PAYG, "rg-app", "Microsoft.Network/networkInterfaces/vm-1-nic")
NIC3 = arm_id(PAYG, "rg-net", "Microsoft.Network/networkInterfaces/vm-3-nic")
VNET1 = arm_id(PAYG, "rg-net", "Microsoft.Network/virtualNetworks/vnet-1")
HUB = arm_id(PAYG, "rg-hub", "Microsoft.Network/virtualNetworks/vnet-hub")
CONDITION = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'"


def _resource(data: dict[str, Any], group: str, name: str) -> dict[str, Any]:
    groups = [g for s in data["subscriptions"] for g in s["resourceGroups"] if g["name"] == group]
    return next(r for r in groups[0]["resources"] if r["name"] == name)


def _network(data: dict[str, Any]) -> None:
    payg = next(s for s in data["subscriptions"] if s["id"] == PAYG)
    app = next(g for g in payg["resourceGroups"] if g["name"] == "rg-app")
    app["resources"].append({"name": "pip-1", "type": "Microsoft.Network/publicIPAddresses",
                             "sku": {"name": "Standard"},
                             "properties": {"ipConfiguration": {"id": f"{NIC1}/ipConfigurations/ipconfig1"}}})
    _resource(data, "rg-net", "vm-3-nic")["properties"] = {"ipConfigurations": [
        {"name": "ipconfig1", "properties": {"privateIPAddress": "10.0.1.4"}}]}
    _resource(data, "rg-app", "vm-1-nic")["properties"] = {"ipConfigurations": [
        {"name": "ipconfig1", "properties": {"privateIPAddress": "10.0.0.4", "publicIPAddress": {"id": PIP}}}]}
    peer = {"allowVirtualNetworkAccess": True, "allowForwardedTraffic": True, "allowGatewayTransit": False,
            "useRemoteGateways": False}
    _resource(data, "rg-net", "vnet-1")["properties"] = {"virtualNetworkPeerings": [
        {"name": "to-hub", "connected": True, "properties": {"remoteVirtualNetwork": {"id": HUB}, **peer}}]}
    payg["resourceGroups"].append({"name": "rg-hub", "location": "westeurope", "resources": [
        {"name": "vnet-hub", "type": "Microsoft.Network/virtualNetworks", "properties": {"virtualNetworkPeerings": [
            {"name": "to-vnet-1", "connected": True,
             "properties": {"remoteVirtualNetwork": {"id": VNET1}, **peer}}]}}]})


def _web_split(data: dict[str, Any]) -> None:
    """A web app created in rg-web (its webSpace says so) that was later moved to rg-webapp, away from its plan."""
    payg = next(s for s in data["subscriptions"] if s["id"] == PAYG)
    web = next(g for g in payg["resourceGroups"] if g["name"] == "rg-web")
    for r in web["resources"]:
        r.setdefault("properties", {})["webSpace"] = "rg-web-WestEuropewebspace"
    payg["resourceGroups"].append({"name": "rg-webapp", "location": "westeurope", "resources": [
        {"name": "app-2", "type": "Microsoft.Web/sites", "properties": {"webSpace": "rg-web-WestEuropewebspace"}}]})


def fixes_scenario() -> dict[str, Any]:
    data = copy.deepcopy(load_scenario("test-small"))
    _network(data)
    _web_split(data)
    fabrikam = next(t for t in data["tenants"] if t["id"] == FABRIKAM)
    fabrikam["principals"] = [
        {"id": ALICE, "type": "User", "displayName": "Alice"},
        {"id": OPS, "type": "Group", "displayName": "Operations"},
        {"id": BOB, "type": "User", "displayName": "Bob", "deleted": True},
    ]
    fabrikam["roleDefinitions"] = [{
        "id": APP_OPERATOR, "roleName": "App Operator", "actions": ["Microsoft.Web/sites/*"],
        "assignableScopes": [f"/subscriptions/{PAYG}"],
    }]
    fabrikam["roleAssignments"] = [
        {"principalId": ALICE, "role": READER, "scope": group_id(PAYG, "rg-app"), "principalType": "User",
         "description": "Auditors read the app group"},
        {"principalId": OPS, "role": CONTRIBUTOR, "scope": STAPP1, "principalType": "Group",
         "condition": CONDITION, "description": "Ops write the logs container"},
        {"principalId": ALICE, "role": APP_OPERATOR, "scope": group_id(PAYG, "rg-web"), "principalType": "User"},
        {"principalId": BOB, "role": READER, "scope": group_id(PAYG, "rg-web"), "principalType": "User"},
        {"principalId": ALICE, "role": READER, "scope": f"/subscriptions/{PAYG}", "principalType": "User"},
    ]
    return data
