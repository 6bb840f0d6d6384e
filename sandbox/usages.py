"""Compute capacity as Microsoft.Compute answers it: a subscription's vCPU usage and limits per region
(`Usage_List`, `…/providers/Microsoft.Compute/locations/{location}/usages`) and the VM sizes with their family
and vCPUs (`ResourceSkus_List`, `…/providers/Microsoft.Compute/skus`), from the sandbox's own size table
(`sandbox/vm-sizes.json`). Usage counts every VM of the subscription in that region; limits are the
subscription's `quotas` in the scenario, else the table's defaults. Shapes: Azure/azure-rest-api-specs
`specification/compute/resource-manager/Microsoft.Compute/ComputeRP/stable/2024-07-01/computeRPCommon.json`
(ListUsagesResult) and `…/Skus/stable/2021-07-01/skus.json`.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

from aiohttp import web

from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.routing import route
from sandbox.state import Sub

COMPUTE = "/subscriptions/{subscription}/providers/Microsoft.Compute"
VM = "microsoft.compute/virtualmachines"
_LOCATION_FILTER = re.compile(r"^\s*location\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)


@functools.cache
def sizes() -> dict[str, Any]:
    return json.loads((Path(__file__).parent / "vm-sizes.json").read_text(encoding="utf-8"))


def _usage(name: str, localized: str, current: int, limit: int) -> dict[str, Any]:
    return {"unit": "Count", "currentValue": current, "limit": limit,
            "name": {"value": name, "localizedValue": localized}}


def usages(sub: Sub, vms: list[dict[str, Any]], location: str) -> list[dict[str, Any]]:
    facts = sizes()
    table = {k.lower(): v for k, v in facts["sizes"].items()}
    limits = sub.quotas.get(location.lower(), {})
    defaults = facts["defaultLimits"]
    per_family: dict[str, int] = dict.fromkeys(facts["families"], 0)
    count = 0
    for vm in vms:
        size = table.get(str((vm.get("hardwareProfile") or {}).get("vmSize", "")).lower())
        count += 1
        if size is not None:
            per_family[size["family"]] = per_family.get(size["family"], 0) + int(size["vCPUs"])
    out = [_usage("cores", "Total Regional vCPUs", sum(per_family.values()), limits.get("cores", defaults["cores"])),
           _usage("virtualMachines", "Virtual Machines", count,
                  limits.get("virtualMachines", defaults["virtualMachines"]))]
    for family, current in per_family.items():
        out.append(_usage(family, facts["families"].get(family, family), current,
                          limits.get(family, defaults["family"])))
    return out


class UsageApi(ArmApi):
    @route("GET", COMPUTE + "/locations/{location}/usages", "Usage_List",
           action="Microsoft.Compute/locations/usages/read")
    async def list_usages(self, request: web.Request, caller: Caller, *, subscription: str,
                          location: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        if location.lower() not in sizes()["locations"]:
            raise ArmFailure(404, "NoRegisteredProviderFound",
                             f"No registered resource provider found for location '{location}'.")
        vms = [r.properties for r in self.world.resources(sub)
               if r.type.lower() == VM and r.location.lower() == location.lower()]
        return self.answer({"value": usages(sub, vms, location)})

    @route("GET", COMPUTE + "/skus", "ResourceSkus_List", action="Microsoft.Compute/skus/read")
    async def list_skus(self, request: web.Request, caller: Caller, *, subscription: str) -> web.Response:
        self.find_subscription(caller, subscription)
        locations = sizes()["locations"]
        if "$filter" in request.query:
            m = _LOCATION_FILTER.match(request.query["$filter"])
            if m is None:
                raise ArmFailure(400, "InvalidFilterInQueryString",
                                 "The sandbox supports only $filter=location eq '<location>'.")
            locations = [m[1].lower()] if m[1].lower() in locations else []
        return self.answer({"value": [
            {"resourceType": "virtualMachines", "name": name, "tier": "Standard", "size": name.split("_", 1)[1],
             "family": size["family"], "locations": [loc],
             "capabilities": [{"name": "vCPUs", "value": str(size["vCPUs"])}], "restrictions": []}
            for loc in locations for name, size in sizes()["sizes"].items()]})
