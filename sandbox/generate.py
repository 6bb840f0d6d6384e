"""Synthetic tenants for load and benchmark runs: `--generate resources=10000,groups=500`."""

from __future__ import annotations

import random
import uuid
from typing import Any

from sandbox.state import resource_id

# (type, name prefix, sku) cycled to fill groups; the VM set brings its disk and NIC as dependencies.
_SIMPLE = (
    ("Microsoft.Storage/storageAccounts", "st", {"name": "Standard_LRS"}),
    ("Microsoft.KeyVault/vaults", "kv", {"family": "A", "name": "standard"}),
    ("Microsoft.Web/serverFarms", "plan", {"name": "S1", "tier": "Standard"}),
    ("Microsoft.Network/networkSecurityGroups", "nsg", None),
    ("Microsoft.Insights/components", "appi", None),
    ("Microsoft.ContainerService/managedClusters", "aks", {"name": "Base", "tier": "Free"}),
)
_LOCATIONS = ("westeurope", "northeurope", "eastus")


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def parse_spec(spec: str) -> dict[str, int]:
    out = {"resources": 1000, "groups": 50}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        key, _, value = part.partition("=")
        if key not in out or not value.isdigit() or int(value) < 1:
            raise ValueError(f"bad --generate item {part!r}; expected resources=N,groups=M with N, M >= 1")
        out[key] = int(value)
    return out


def generate_scenario(spec: str, *, seed: int = 0) -> dict[str, Any]:
    params = parse_spec(spec)
    rng = random.Random(seed)
    tenant, source, target = _uuid(rng), _uuid(rng), _uuid(rng)
    n_groups = min(params["groups"], params["resources"])
    groups: list[dict[str, Any]] = [
        {"name": f"rg-{i:04d}", "location": _LOCATIONS[i % len(_LOCATIONS)], "tags": {}, "resources": []}
        for i in range(n_groups)
    ]
    remaining = params["resources"]
    i = 0
    while remaining > 0:
        group = groups[i % n_groups]
        loc = group["location"]
        if remaining >= 3 and i % 4 == 0:
            vm, disk, nic = f"vm-{i:06d}", f"vm-{i:06d}-osdisk", f"vm-{i:06d}-nic"
            ids = {t: resource_id(source, group["name"], t, n) for t, n in (
                ("Microsoft.Compute/disks", disk), ("Microsoft.Network/networkInterfaces", nic))}
            group["resources"] += [
                {"name": disk, "type": "Microsoft.Compute/disks", "location": loc, "sku": {"name": "Premium_LRS"},
                 "properties": {"provisioningState": "Succeeded", "diskSizeGB": 128}},
                {"name": nic, "type": "Microsoft.Network/networkInterfaces", "location": loc,
                 "properties": {"provisioningState": "Succeeded"}},
                {"name": vm, "type": "Microsoft.Compute/virtualMachines", "location": loc,
                 "properties": {"provisioningState": "Succeeded",
                                "hardwareProfile": {"vmSize": rng.choice(("Standard_B2s", "Standard_D2s_v5"))}},
                 "dependsOn": list(ids.values())},
            ]
            remaining -= 3
        elif remaining >= 2 and i % 4 == 1:
            server = f"sql-{i:06d}"
            group["resources"] += [
                {"name": server, "type": "Microsoft.Sql/servers", "location": loc,
                 "properties": {"provisioningState": "Succeeded", "version": "12.0"}},
                {"name": f"{server}/db", "type": "Microsoft.Sql/servers/databases", "location": loc,
                 "sku": {"name": "S0", "tier": "Standard"}, "properties": {"provisioningState": "Succeeded"}},
            ]
            remaining -= 2
        else:
            type_, prefix, sku = _SIMPLE[rng.randrange(len(_SIMPLE))]
            group["resources"].append({"name": f"{prefix}-{i:06d}", "type": type_, "location": loc, "sku": sku,
                                       "properties": {"provisioningState": "Succeeded"}})
            remaining -= 1
        i += 1
    return {
        "description": f"Generated tenant: {params['resources']} resources in {n_groups} groups (seed {seed}).",
        "tenants": [{"id": tenant, "displayName": "Generated Customer", "domains": ["generated.onmicrosoft.com"],
                     "partnerAccess": True}],
        "subscriptions": [
            {"id": source, "tenantId": tenant, "displayName": "Generated Pay-As-You-Go", "state": "Enabled",
             "quotaId": "PayAsYouGo_2014-09-01", "spendingLimit": "Off", "resourceGroups": groups},
            {"id": target, "tenantId": tenant, "displayName": "Generated Azure plan (CSP)", "state": "Enabled",
             "quotaId": "CSP_2015-05-01", "spendingLimit": "Off", "resourceGroups": []},
        ],
    }
