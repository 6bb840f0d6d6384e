"""Why Azure refuses to move a resource, as the sandbox plays it, from its own facts only.

`move-facts.json` lists the types the sandbox refuses outright; the checks below are conditions Azure
looks at beyond the type (a Standard public IP on a NIC, a Standard load balancer, a peering, an
incremental snapshot, an App Service resource outside the group it was created in...). A scenario can
override a type (`moveSupport` at the top level) and script any resource's answer (`outcome`), which is how
a scenario makes Azure disagree with the bot. Nothing here comes from the bot's code or data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox.state import Res, World

FACTS = Path(__file__).parent / "move-facts.json"
_WEBSPACE = re.compile(r"^(?P<group>.+)-[A-Za-z0-9]+webspace(?:-linux)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class MoveFacts:
    no_subscription_move: frozenset[str]  # lower-case types
    no_group_move: frozenset[str]
    namespaces: tuple[str, ...]

    def refuses(self, type_: str, *, cross: bool, overrides: dict[str, bool]) -> bool:
        low = type_.lower()
        if low in overrides:
            return not overrides[low]
        if cross and not low.startswith("microsoft."):
            return True  # third-party providers take part in no move
        if low.startswith("microsoft.classic"):
            return True  # classic (ASM) resources never move with Resource Manager
        return low in (self.no_subscription_move if cross else self.no_group_move)


def load_facts(path: Path = FACTS) -> MoveFacts:
    data = json.loads(path.read_text(encoding="utf-8"))
    return MoveFacts(frozenset(t.lower() for t in data["cannotChangeSubscription"]),
                     frozenset(t.lower() for t in data["cannotChangeGroup"]), tuple(data["namespaces"]))


def _get(value: Any, *path: str) -> Any:
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def condition_refusals(world: World, res: Res) -> Iterator[tuple[str, str]]:
    """(code, message) for each reason Azure refuses to take `res` to another subscription."""
    type_ = res.type.lower()
    sku = str((res.sku or {}).get("name") or "").lower()
    if type_ == "microsoft.network/networkinterfaces":
        for config in _list(res.properties.get("ipConfigurations")):
            pip = world.resource(str(_get(config, "properties", "publicIPAddress", "id") or ""))
            if pip is not None and str((pip.sku or {}).get("name") or "").lower() == "standard":
                yield ("CannotMoveResourceAssociatedWithStandardSkuPublicIp",
                       f"Resource '{res.id}' is associated with Standard SKU public IP '{pip.id}', which must be "
                       "disassociated before a move across subscriptions.")
    elif type_ == "microsoft.compute/virtualmachines" and (res.plan or {}).get("name"):
        yield ("MarketplacePlanVirtualMachineCannotBeMoved",
               f"Virtual machine '{res.id}' was created from a Marketplace offer with a plan and cannot be moved "
               "across subscriptions.")
        yield from _restore_points(world, res)
    elif type_ == "microsoft.network/loadbalancers" and sku == "standard":
        yield ("StandardSkuLoadBalancerCannotBeMoved",
               f"Standard SKU load balancer '{res.id}' cannot be moved across subscriptions.")
    elif type_ == "microsoft.network/virtualnetworks":
        if _list(res.properties.get("virtualNetworkPeerings")):
            yield ("CannotMoveVirtualNetworkWithPeerings",
                   f"Virtual network '{res.id}' has peerings; disable them before the move.")
        for subnet in _list(res.properties.get("subnets")):
            if _list(_get(subnet, "properties", "resourceNavigationLinks")):
                yield ("CannotMoveVnetWithResourceNavigationLinks",
                       f"Subnet '{subnet.get('name')}' of '{res.id}' has resource navigation links.")
            if _get(subnet, "properties", "natGateway", "id"):
                yield ("SubnetWithNatGatewayCannotBeMoved",
                       f"Subnet '{subnet.get('name')}' of '{res.id}' uses a NAT gateway, which cannot be moved.")
    elif type_ == "microsoft.compute/virtualmachines":
        yield from _restore_points(world, res)
    elif type_ == "microsoft.streamanalytics/streamingjobs":
        state = str(res.properties.get("jobState") or "Created")
        if state.lower() not in ("created", "stopped", "failed"):
            yield ("StreamingJobMustBeStopped",
                   f"Stream Analytics job '{res.id}' is {state}; a job can only be moved when it is stopped.")
    elif type_ == "microsoft.compute/snapshots" and res.properties.get("incremental") is True:
        yield ("IncrementalSnapshotMoveNotSupported", f"Incremental snapshot '{res.id}' cannot be moved.")
    elif type_ == "microsoft.compute/disks":
        kind = str(_get(res.properties, "encryption", "type") or "").lower()
        if "customerkey" in kind:
            yield ("DiskWithCustomerManagedKeyCannotBeMoved",
                   f"Disk '{res.id}' is encrypted with a customer-managed key.")
        if _get(res.properties, "encryptionSettingsCollection", "enabled") is True:
            yield ("CannotMoveEncryptedDisk", f"Disk '{res.id}' uses Azure Disk Encryption; disable it first.")
    if type_ == "microsoft.web/certificates" and res.properties.get("canonicalName"):
        yield ("AppServiceManagedCertificateCannotBeMoved",
               f"Free App Service managed certificate '{res.id}' cannot be moved; recreate it after the move.")
    if type_ in ("microsoft.web/sites", "microsoft.web/serverfarms", "microsoft.web/certificates"):
        m = _WEBSPACE.match(str(res.properties.get("webSpace") or ""))
        if m and m["group"].lower() != res.group.lower():
            yield ("AppServiceMoveFromOriginalResourceGroupOnly",
                   f"App Service resource '{res.id}' can only be moved from resource group '{m['group']}', "
                   "where it was created.")
    elif type_ == "microsoft.apimanagement/service" and sku == "consumption":
        yield ("ApiManagementConsumptionSkuMoveNotSupported", f"'{res.id}' is in the Consumption tier.")
    elif type_ == "microsoft.operationalinsights/workspaces":
        group = world.group(res.subscription_id, res.group)
        for child in (group.resources.values() if group else ()):
            if (child.type.lower() == "microsoft.operationalinsights/workspaces/linkedservices"
                    and child.id.lower().startswith(res.id.lower() + "/")
                    and "/microsoft.automation/" in str(child.properties.get("resourceId") or "").lower()):
                yield ("WorkspaceLinkedToAutomationAccount",
                       f"Workspace '{res.id}' is linked to an Automation account; unlink it first.")
    elif type_ == "microsoft.recoveryservices/vaults":
        group = world.group(res.subscription_id, res.group)
        for child in (group.resources.values() if group else ()):
            if child.type.lower().endswith("/replicationprotecteditems") and child.id.lower().startswith(
                    res.id.lower() + "/"):
                yield ("VaultWithSiteRecoveryCannotBeMoved",
                       f"Vault '{res.id}' protects items with Site Recovery.")
                break


def _restore_points(world: World, vm: Res) -> Iterator[tuple[str, str]]:
    """Azure Backup keeps a VM's instant-restore snapshots in a restore point collection whose source is the
    VM; while one exists the VM cannot change subscription (wherever the collection lives)."""
    for sub in world.subscriptions.values():
        for res in world.resources(sub):
            if (res.type.lower() == "microsoft.compute/restorepointcollections"
                    and str(_get(res.properties, "source", "id") or "").lower() == vm.id.lower()):
                yield ("VirtualMachineHasRestorePointCollection",
                       f"Virtual machine '{vm.id}' has restore point collection '{res.id}'; delete it (the vault "
                       "keeps its backups) before moving the virtual machine.")
