"""test-small plus a web app integrated with a subnet of the network in its own group, whose other subnet
goes out through a NAT gateway (in a group of its own, which does not move), and an app whose private
endpoint sits in another group (a private endpoint on an app cannot move itself)."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.state import load_scenario
from tests.support.sandbox import PAYG, arm_id

SITE = arm_id(PAYG, "rg-web", "Microsoft.Web/sites/app-1")
PLAN = arm_id(PAYG, "rg-web", "Microsoft.Web/serverfarms/plan-1")
VNET = arm_id(PAYG, "rg-web", "Microsoft.Network/virtualNetworks/vnet-web")
APPS = f"{VNET}/subnets/apps"
NAT = arm_id(PAYG, "rg-nat", "Microsoft.Network/natGateways/nat-1")
PRIVATE_SITE = arm_id(PAYG, "rg-private", "Microsoft.Web/sites/app-2")
ENDPOINT = arm_id(PAYG, "rg-endpoints", "Microsoft.Network/privateEndpoints/pe-app-2")
PRIVATE_VNET = arm_id(PAYG, "rg-endpoints", "Microsoft.Network/virtualNetworks/vnet-private")
PICKED = ("rg-web",)


def app_network_scenario() -> dict[str, Any]:
    data = copy.deepcopy(load_scenario("test-small"))
    payg = next(s for s in data["subscriptions"] if s["id"] == PAYG)
    payg["resourceGroups"] += [
        {"name": "rg-web", "location": "westeurope", "resources": [
            {"name": "plan-1", "type": "Microsoft.Web/serverfarms", "sku": {"name": "P1v3"},
             "properties": {"webSpace": "rg-web-WestEuropewebspace"}},
            {"name": "app-1", "type": "Microsoft.Web/sites",
             "properties": {"serverFarmId": PLAN, "webSpace": "rg-web-WestEuropewebspace",
                            "virtualNetworkSubnetId": APPS}},
            {"name": "vnet-web", "type": "Microsoft.Network/virtualNetworks", "properties": {
                "addressSpace": {"addressPrefixes": ["10.20.0.0/16"]},
                "subnets": [
                    {"name": "apps", "properties": {"addressPrefix": "10.20.1.0/24", "delegations": [
                        {"name": "web", "properties": {"serviceName": "Microsoft.Web/serverFarms"}}]}},
                    {"name": "egress", "properties": {"addressPrefix": "10.20.2.0/24",
                                                      "natGateway": {"id": NAT}}}]}}]},
        {"name": "rg-nat", "location": "westeurope", "resources": [
            {"name": "nat-1", "type": "Microsoft.Network/natGateways", "sku": {"name": "Standard"},
             "properties": {}}]},
        {"name": "rg-private", "location": "westeurope", "resources": [
            {"name": "app-2", "type": "Microsoft.Web/sites",
             "properties": {"webSpace": "rg-private-WestEuropewebspace"}}]},
        {"name": "rg-endpoints", "location": "westeurope", "resources": [
            {"name": "pe-app-2", "type": "Microsoft.Network/privateEndpoints", "properties": {
                "subnet": {"id": f"{PRIVATE_VNET}/subnets/endpoints"},
                "privateLinkServiceConnections": [{"name": "c", "properties": {
                    "privateLinkServiceId": PRIVATE_SITE, "groupIds": ["sites"]}}]}},
            {"name": "vnet-private", "type": "Microsoft.Network/virtualNetworks", "properties": {
                "subnets": [{"name": "endpoints", "properties": {"addressPrefix": "10.30.1.0/24"}}]}}]},
    ]
    return data
