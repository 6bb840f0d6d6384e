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

from sandbox.api import ArmApi, member
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.moves import check_write_allowed
from sandbox.routing import Body, Within, route
from sandbox.state import Group, Res, World, resource_id

DISK_TYPE, COLLECTION_TYPE = "Microsoft.Compute/disks", "Microsoft.Compute/restorePointCollections"
DISK, COLLECTION = DISK_TYPE.lower(), COLLECTION_TYPE.lower()
ENCRYPTION_SET = "microsoft.compute/diskencryptionsets"
PLATFORM_KEY = "EncryptionAtRestWithPlatformKey"
ENCRYPTION_TYPES = (PLATFORM_KEY, "EncryptionAtRestWithCustomerKey", "EncryptionAtRestWithPlatformAndCustomerKeys")
COMPUTE = "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.Compute"


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


class ComputeApi(ArmApi):
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

    @route("GET", COMPUTE + "/disks/{disk}", "Disks_Get", action="Microsoft.Compute/disks/read",
           within=Within.RESOURCE)
    async def get_disk(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                       disk: str) -> web.Response:
        _, found = self.resource(subscription, group, DISK_TYPE, disk)
        return self.answer(self._body(found))

    @route("PATCH", COMPUTE + "/disks/{disk}", "Disks_Update", action="Microsoft.Compute/disks/write",
           within=Within.RESOURCE, body=Body.REQUIRED)
    async def patch_disk(self, request: web.Request, caller: Caller, *, subscription: str, group: str, disk: str,
                         body: dict[str, Any]) -> web.Response:
        return self._patch_disk(*self.resource(subscription, group, DISK_TYPE, disk),
                                member(body, "properties").get("encryption"))

    def _patch_disk(self, group: Group, disk: Res, wanted: Any) -> web.Response:
        check_write_allowed(self.world, group)
        if not isinstance(wanted, dict):
            return self.answer(self._body(disk))  # nothing the sandbox models changes
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
            self.changed()
        return self.answer(self._body(disk), 200)

    # ------------------------------------------------------------------ restore point collections

    @route("GET", COMPUTE + "/restorePointCollections/{name}", "RestorePointCollections_Get",
           action="Microsoft.Compute/restorePointCollections/read", within=Within.RESOURCE)
    async def get_collection(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                             name: str) -> web.Response:
        _, collection = self.resource(subscription, group, COLLECTION_TYPE, name)
        return self.answer(self._body(collection))

    @route("DELETE", COMPUTE + "/restorePointCollections/{name}", "RestorePointCollections_Delete",
           action="Microsoft.Compute/restorePointCollections/delete", within=Within.RESOURCE)
    async def delete_collection(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                                name: str) -> web.Response:
        rid = resource_id(subscription, group, COLLECTION_TYPE, name)
        res = self.world.resource(rid)
        if res is None or res.type.lower() != COLLECTION:
            return web.Response(status=204)
        held, _ = self.resource(subscription, group, COLLECTION_TYPE, name)
        check_write_allowed(self.world, held)
        for key in [k for k in held.resources if k == rid.lower() or k.startswith(rid.lower() + "/")]:
            del held.resources[key]  # its restore points go with it
        self.changed()
        return web.Response(status=200)
