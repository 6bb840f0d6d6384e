"""Two Microsoft.Compute surfaces a move needs around it:

- a managed disk's GET and PATCH of its encryption (api-version 2024-03-02). Azure changes a disk's keys only
  while no running VM uses it ("Your existing disks must not be attached to a running VM", learn.microsoft.com,
  "Use the Azure CLI to enable server-side encryption with customer-managed keys"): a disk whose `managedBy`
  VM is not deallocated is refused. A customer-managed key needs a disk encryption set of the disk's
  subscription and region.
- a restore point collection's GET and DELETE (api-version 2024-03-01). Deleting it deletes its restore
  points (the instant-restore snapshots Azure Backup keeps next to the VM); a VM whose collection exists
  cannot change subscription (`sandbox.movability`).

Writes answer 200 with the final state (the SDK's poller sees `Succeeded` and stops).
"""

from __future__ import annotations

import copy
from typing import Any

from aiohttp import web

from sandbox.moves import ArmFailure, check_write_allowed
from sandbox.scopes import Call, bind, resource_of_type
from sandbox.state import Res, World

DISK = "microsoft.compute/disks"
COLLECTION = "microsoft.compute/restorepointcollections"
ENCRYPTION_SET = "microsoft.compute/diskencryptionsets"
PLATFORM_KEY = "EncryptionAtRestWithPlatformKey"
ENCRYPTION_TYPES = (PLATFORM_KEY, "EncryptionAtRestWithCustomerKey", "EncryptionAtRestWithPlatformAndCustomerKeys")
_TYPES = {"disks": DISK, "restorepointcollections": COLLECTION}


def power_state(vm: Res) -> str:
    """`PowerState/running`, `PowerState/deallocated`... as the VM's instance view says (running if silent)."""
    view = ((vm.properties.get("extended") or {}).get("instanceView") or {}).get("powerState") or {}
    return str(view.get("code") or "PowerState/running") if isinstance(view, dict) else "PowerState/running"


def disk_state(world: World, disk: Res) -> str:
    """Azure's `diskState`: Unattached, Reserved (its VM is deallocated) or Attached."""
    vm = world.resource(disk.managed_by or "")
    if vm is None:
        return "Unattached"
    return "Reserved" if power_state(vm).lower() == "powerstate/deallocated" else "Attached"


class ComputeApi:
    def __init__(self, world: World, answer: Any, changed: Any) -> None:
        self.world = world
        self._answer = answer
        self._changed = changed

    def route(self, method: str, parts: list[str]) -> Call | None:
        low = [p.lower() for p in parts]
        if (len(low) != 8 or low[2] != "resourcegroups" or low[4:6] != ["providers", "microsoft.compute"]
                or low[6] not in _TYPES):
            return None
        rid = "/" + "/".join(parts)
        if low[6] == "disks" and method in ("GET", "PATCH"):
            reading = method == "GET"
            return Call("Disks_Get" if reading else "Disks_Update", "reads" if reading else "writes",
                        f"Microsoft.Compute/disks/{'read' if reading else 'write'}", rid,
                        bind(self.get_disk if reading else self.patch_disk, rid))
        if low[6] == "restorepointcollections" and method in ("GET", "DELETE"):
            reading = method == "GET"
            return Call("RestorePointCollections_Get" if reading else "RestorePointCollections_Delete",
                        "reads" if reading else "writes",
                        f"Microsoft.Compute/restorePointCollections/{'read' if reading else 'delete'}", rid,
                        bind(self.get_collection if reading else self.delete_collection, rid))
        return None

    def _body(self, res: Res) -> dict[str, Any]:
        props = copy.deepcopy(res.properties)
        props["provisioningState"] = "Succeeded"
        if res.type.lower() == DISK:
            props["diskState"] = disk_state(self.world, res)
        body: dict[str, Any] = {"id": res.id, "name": res.name, "type": res.type, "location": res.location,
                                "tags": res.tags, "properties": props}
        if res.managed_by:
            body["managedBy"] = res.managed_by
        return body

    # ------------------------------------------------------------------ disks

    async def get_disk(self, request: web.Request, rid: str) -> web.Response:
        _, disk = resource_of_type(self.world, rid, DISK)
        return self._answer(self._body(disk), 200)

    async def patch_disk(self, request: web.Request, rid: str) -> web.Response:
        group, disk = resource_of_type(self.world, rid, DISK)
        check_write_allowed(self.world, group)
        try:
            body = await request.json()
        except ValueError:
            body = None
        wanted = ((body or {}).get("properties") or {}).get("encryption") if isinstance(body, dict) else None
        if not isinstance(wanted, dict):
            return self._answer(self._body(disk), 200)  # nothing the sandbox models changes
        kind = str(wanted.get("type") or "")
        if kind not in ENCRYPTION_TYPES:
            raise ArmFailure(400, "InvalidParameter", f"Encryption type '{kind}' is not one of "
                             f"{', '.join(ENCRYPTION_TYPES)}.", target="encryption.type")
        des_id = str(wanted.get("diskEncryptionSetId") or "")
        if kind != PLATFORM_KEY:
            des = self.world.resource(des_id) if des_id else None
            if des is None or des.type.lower() != ENCRYPTION_SET:
                raise ArmFailure(400, "InvalidParameter", f"Disk encryption set '{des_id}' was not found; a "
                                 "customer-managed key needs one.", target="encryption.diskEncryptionSetId")
            if (des.subscription_id.lower() != disk.subscription_id.lower()
                    or des.location.lower() != disk.location.lower()):
                raise ArmFailure(400, "InvalidParameter", f"Disk encryption set '{des_id}' must be in the "
                                 "disk's subscription and region.", target="encryption.diskEncryptionSetId")
        current = disk.properties.get("encryption") or {}
        if (kind, des_id.lower()) != (str(current.get("type") or PLATFORM_KEY),
                                      str(current.get("diskEncryptionSetId") or "").lower()):
            if disk_state(self.world, disk) == "Attached":
                raise ArmFailure(409, "OperationNotAllowed",
                                 f"Changing the encryption of disk '{disk.name}' is not allowed while it is attached "
                                 f"to running VM '{(disk.managed_by or '').rsplit('/', 1)[-1]}'. Deallocate the VM "
                                 "or detach the disk first.")
            disk.properties["encryption"] = {"type": kind, **({"diskEncryptionSetId": des_id} if des_id
                                                               and kind != PLATFORM_KEY else {})}
            self._changed()
        return self._answer(self._body(disk), 200)

    # ------------------------------------------------------------------ restore point collections

    async def get_collection(self, request: web.Request, rid: str) -> web.Response:
        _, collection = resource_of_type(self.world, rid, COLLECTION)
        return self._answer(self._body(collection), 200)

    async def delete_collection(self, request: web.Request, rid: str) -> web.Response:
        res = self.world.resource(rid)
        if res is None or res.type.lower() != COLLECTION:
            return web.Response(status=204)
        group, _ = resource_of_type(self.world, rid, COLLECTION)
        check_write_allowed(self.world, group)
        for key in [k for k in group.resources if k == rid.lower() or k.startswith(rid.lower() + "/")]:
            del group.resources[key]  # its restore points go with it
        self._changed()
        return web.Response(status=200)
