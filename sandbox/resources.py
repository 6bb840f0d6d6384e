"""Three resource types a move has to remove and create again, read, written and deleted by id as their
resource providers answer them:

- a Log Analytics workspace's linked service (`workspaces/{ws}/linkedServices/{name}`): linking an
  Automation account, which must exist and be linked to no other workspace;
- a SQL IaaS Agent registration (`Microsoft.SqlVirtualMachine/sqlVirtualMachines/{vm}`): named after its
  virtual machine, in the machine's subscription and region, one per machine;
- a free App Service managed certificate (`Microsoft.Web/certificates/{name}` with `canonicalName`), issued
  for a host name an app of the plan (`serverFarmId`) serves, and the app's host name binding
  (`sites/{site}/hostNameBindings/{host}`) that puts a certificate on it. A certificate still bound to a
  host name cannot be deleted.

A lock of either level on the resource, a parent, its group or subscription refuses a deletion (that is
what CanNotDelete is for). Writes answer with the final state (`provisioningState` Succeeded), so the SDK's
poller stops at once. Nothing here comes from the bot's code or data.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any

from aiohttp import web

from sandbox.api import ArmApi, resource_path
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.moves import check_write_allowed
from sandbox.routing import Body, Within, route
from sandbox.state import Group, Res, parse_resource_id

LINK_TYPE = "Microsoft.OperationalInsights/workspaces/linkedServices"
SQL_VM_TYPE = "Microsoft.SqlVirtualMachine/sqlVirtualMachines"
CERTIFICATE_TYPE = "Microsoft.Web/certificates"
BINDING_TYPE = "Microsoft.Web/sites/hostNameBindings"
LINK, SQL_VM, CERTIFICATE, BINDING = (t.lower() for t in (LINK_TYPE, SQL_VM_TYPE, CERTIFICATE_TYPE, BINDING_TYPE))
WORKSPACE = "microsoft.operationalinsights/workspaces"
SITE = "microsoft.web/sites"
PLAN = "microsoft.web/serverfarms"
VM = "microsoft.compute/virtualmachines"
GROUP = "/subscriptions/{subscription}/resourceGroups/{group}"
LINKS = GROUP + "/providers/Microsoft.OperationalInsights/workspaces/{workspace}/linkedServices"
BINDINGS = GROUP + "/providers/Microsoft.Web/sites/{site}/hostNameBindings/{name}"
SQL_KEEPS = ("virtualMachineResourceId", "sqlServerLicenseType", "sqlManagement", "sqlImageSku", "sqlImageOffer",
             "leastPrivilegeMode")


def _id_of(value: Any) -> str:
    return str(value or "")


def _body_of(res: Res) -> dict[str, Any]:
    props = copy.deepcopy(res.properties)
    props["provisioningState"] = "Succeeded"
    return {"id": res.id, "name": res.name, "type": res.type, "location": res.location, "tags": res.tags,
            "properties": props}


class ResourceApi(ArmApi):
    # ------------------------------------------------------------------ routes, one set per type

    @route("GET", LINKS, "LinkedServices_ListByWorkspace", action=LINK_TYPE + "/read", within=Within.GROUP)
    async def list_links(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                         workspace: str) -> web.Response:
        g = self.find_group(self.find_subscription(caller, subscription), group)
        prefix = f"{g.id}/providers/Microsoft.OperationalInsights/workspaces/{workspace}".lower()
        if prefix not in g.resources:
            raise ArmFailure(404, "ResourceNotFound", f"The Resource 'Microsoft.OperationalInsights/workspaces/"
                                                      f"{workspace}' under resource group '{g.name}' was not found.")
        links = [r for key, r in g.resources.items() if key.startswith(prefix + "/linkedservices/")]
        return self.answer({"value": [{"id": r.id, "name": r.name, "type": r.type,
                                       "properties": r.properties} for r in links]})

    @route("GET", LINKS + "/{name}", "LinkedServices_Get", action=LINK_TYPE + "/read", within=Within.TARGET)
    async def get_link(self, request: web.Request, caller: Caller, *, subscription: str, group: str, workspace: str,
                       name: str) -> web.Response:
        return self._get(resource_path(subscription, group, LINK_TYPE, workspace, name), LINK)

    @route("PUT", LINKS + "/{name}", "LinkedServices_CreateOrUpdate", action=LINK_TYPE + "/write",
           within=Within.TARGET, body=Body.REQUIRED)
    async def put_link(self, request: web.Request, caller: Caller, *, subscription: str, group: str, workspace: str,
                       name: str, body: dict[str, Any]) -> web.Response:
        return self._put(resource_path(subscription, group, LINK_TYPE, workspace, name), LINK, body)

    @route("DELETE", LINKS + "/{name}", "LinkedServices_Delete", action=LINK_TYPE + "/delete", within=Within.TARGET)
    async def delete_link(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                          workspace: str, name: str) -> web.Response:
        return self._delete(resource_path(subscription, group, LINK_TYPE, workspace, name), LINK)

    @route("GET", GROUP + "/providers/" + SQL_VM_TYPE + "/{name}", "SqlVirtualMachines_Get",
           action=SQL_VM_TYPE + "/read", within=Within.TARGET)
    async def get_sql_vm(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                         name: str) -> web.Response:
        return self._get(resource_path(subscription, group, SQL_VM_TYPE, name), SQL_VM)

    @route("PUT", GROUP + "/providers/" + SQL_VM_TYPE + "/{name}", "SqlVirtualMachines_CreateOrUpdate",
           action=SQL_VM_TYPE + "/write", within=Within.TARGET, body=Body.REQUIRED)
    async def put_sql_vm(self, request: web.Request, caller: Caller, *, subscription: str, group: str, name: str,
                         body: dict[str, Any]) -> web.Response:
        return self._put(resource_path(subscription, group, SQL_VM_TYPE, name), SQL_VM, body)

    @route("DELETE", GROUP + "/providers/" + SQL_VM_TYPE + "/{name}", "SqlVirtualMachines_Delete",
           action=SQL_VM_TYPE + "/delete", within=Within.TARGET)
    async def delete_sql_vm(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                            name: str) -> web.Response:
        return self._delete(resource_path(subscription, group, SQL_VM_TYPE, name), SQL_VM)

    @route("GET", GROUP + "/providers/" + CERTIFICATE_TYPE + "/{name}", "Certificates_Get",
           action=CERTIFICATE_TYPE + "/read", within=Within.TARGET)
    async def get_certificate(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                              name: str) -> web.Response:
        return self._get(resource_path(subscription, group, CERTIFICATE_TYPE, name), CERTIFICATE)

    @route("PUT", GROUP + "/providers/" + CERTIFICATE_TYPE + "/{name}", "Certificates_CreateOrUpdate",
           action=CERTIFICATE_TYPE + "/write", within=Within.TARGET, body=Body.REQUIRED)
    async def put_certificate(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                              name: str, body: dict[str, Any]) -> web.Response:
        return self._put(resource_path(subscription, group, CERTIFICATE_TYPE, name), CERTIFICATE, body)

    @route("DELETE", GROUP + "/providers/" + CERTIFICATE_TYPE + "/{name}", "Certificates_Delete",
           action=CERTIFICATE_TYPE + "/delete", within=Within.TARGET)
    async def delete_certificate(self, request: web.Request, caller: Caller, *, subscription: str, group: str,
                                 name: str) -> web.Response:
        return self._delete(resource_path(subscription, group, CERTIFICATE_TYPE, name), CERTIFICATE)

    @route("GET", BINDINGS, "WebApps_GetHostNameBinding", action=BINDING_TYPE + "/read", within=Within.TARGET)
    async def get_binding(self, request: web.Request, caller: Caller, *, subscription: str, group: str, site: str,
                          name: str) -> web.Response:
        return self._get(resource_path(subscription, group, BINDING_TYPE, site, name), BINDING)

    @route("PUT", BINDINGS, "WebApps_CreateOrUpdateHostNameBinding", action=BINDING_TYPE + "/write",
           within=Within.TARGET, body=Body.REQUIRED)
    async def put_binding(self, request: web.Request, caller: Caller, *, subscription: str, group: str, site: str,
                          name: str, body: dict[str, Any]) -> web.Response:
        return self._put(resource_path(subscription, group, BINDING_TYPE, site, name), BINDING, body)

    # ------------------------------------------------------------------ by id

    def _group(self, rid: str) -> Group:
        parsed = parse_resource_id(rid)
        group = self.world.group(parsed.subscription_id, parsed.resource_group) if parsed else None
        if group is None:
            raise ArmFailure(404, "ResourceGroupNotFound", f"Resource group of '{rid}' could not be found.")
        return group

    def _parent(self, rid: str, type_: str) -> Res:
        parent_id = rid.rsplit("/", 2)[0]
        parent = self.world.resource(parent_id)
        if parent is None or parent.type.lower() != type_:
            raise ArmFailure(404, "ParentResourceNotFound",
                             f"Can not perform requested operation on nested resource. Parent resource "
                             f"'{parent_id.rsplit('/', 1)[-1]}' not found.")
        return parent

    def _get(self, rid: str, type_: str) -> web.Response:
        if type_ == BINDING:
            return self.answer(self._binding_body(self._parent(rid, SITE), rid.rsplit("/", 1)[-1]), 200)
        res = self.world.resource(rid)
        if res is None:
            raise ArmFailure(404, "ResourceNotFound", f"The Resource '{rid.split('/providers/', 1)[-1]}' under "
                                                      f"resource group '{rid.split('/')[4]}' was not found.")
        return self.answer(_body_of(res), 200)

    def _delete(self, rid: str, type_: str) -> web.Response:
        group = self._group(rid)
        res = self.world.resource(rid)
        if res is None:
            return web.Response(status=204)
        check_write_allowed(self.world, group)
        self._check_delete_allowed(group, res)
        if type_ == CERTIFICATE:
            bound = self._sites_binding(str(res.properties.get("thumbprint") or ""))
            if bound:
                raise ArmFailure(409, "Conflict", f"Certificate '{res.name}' is used by host name binding(s) of "
                                                  f"{', '.join(bound)}; remove the bindings first.")
        del group.resources[res.id.lower()]
        self.changed()
        return web.Response(status=200)

    def _check_delete_allowed(self, group: Group, res: Res) -> None:
        """Any lock (CanNotDelete too) on the resource, a parent, its group or subscription refuses a delete."""
        sub = self.world.sub(group.subscription_id)
        holders: list[tuple[str, list[dict[str, Any]]]] = [(res.id, res.locks), (group.id, group.locks)]
        parent = res.id
        while parent.count("/providers/") == 1 and len(parent.strip("/").split("/")) > 8:
            parent = parent.rsplit("/", 2)[0]
            found = self.world.resource(parent)
            if found is not None:
                holders.append((found.id, found.locks))
        if sub is not None:
            holders.append((f"/subscriptions/{sub.id}", sub.locks))
        for scope, locks in holders:
            if locks:
                raise ArmFailure(409, "ScopeLocked",
                                 f"The scope '{res.id}' cannot perform delete operation because following scope(s) "
                                 f"are locked: '{scope}'. Please remove the lock and try again.")

    def _put(self, rid: str, type_: str, body: dict[str, Any]) -> web.Response:
        group = self._group(rid)
        check_write_allowed(self.world, group)
        props = body.get("properties")
        if not isinstance(props, dict):
            raise ArmFailure(400, "InvalidRequestContent", "The request content must carry 'properties'.")
        if type_ == BINDING:
            return self._put_binding(self._parent(rid, SITE), rid.rsplit("/", 1)[-1], props)
        maker = {LINK: self._link, SQL_VM: self._sql_vm, CERTIFICATE: self._certificate}[type_]
        location, kept = maker(rid, body, props)
        existing = self.world.resource(rid)
        parsed = parse_resource_id(rid)
        assert parsed is not None
        res = Res(group.subscription_id, group.name, "/".join(parsed.names), parsed.type, location,
                  properties=kept, tags=dict(body.get("tags") or {}),
                  locks=existing.locks if existing is not None else [])  # an update keeps the resource's locks
        group.resources[res.id.lower()] = res
        self.changed()
        return self.answer(_body_of(res), 200 if existing is not None else 201)

    def _holder(self, type_: str, prop: str, target_id: str, rid: str) -> Res | None:
        """Another resource of `type_` whose `prop` names `target_id` (a link or registration already made)."""
        for sub in self.world.subscriptions.values():
            for other in self.world.resources(sub):
                if (other.type.lower() == type_ and other.id.lower() != rid.lower()
                        and _id_of(other.properties.get(prop)).lower() == target_id.lower()):
                    return other
        return None

    # ------------------------------------------------------------------ linked services

    def _link(self, rid: str, body: dict[str, Any], props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        workspace = self._parent(rid, WORKSPACE)
        target_id = _id_of(props.get("resourceId") or props.get("writeAccessResourceId"))
        target = self.world.resource(target_id) if target_id else None
        if target is None:
            raise ArmFailure(400, "InvalidLinkedResource",
                             f"The resource '{target_id}' to link to workspace '{workspace.name}' was not found.")
        other = self._holder(LINK, "resourceId", target.id, rid)
        if other is not None and "/microsoft.automation/" in target.id.lower():
            raise ArmFailure(409, "Conflict", f"Automation account '{target.name}' is already linked to workspace "
                                              f"'{other.id.split('/')[8]}'.")
        return workspace.location, {"resourceId": target.id}

    # ------------------------------------------------------------------ SQL IaaS Agent registrations

    def _sql_vm(self, rid: str, body: dict[str, Any], props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        vm_id = _id_of(props.get("virtualMachineResourceId"))
        vm = self.world.resource(vm_id) if vm_id else None
        name = rid.rsplit("/", 1)[-1]
        if vm is None or vm.type.lower() != VM:
            raise ArmFailure(400, "VmNotFound", f"Virtual machine '{vm_id}' was not found.")
        if vm.name.lower() != name.lower() or vm.subscription_id.lower() != rid.split("/")[2].lower():
            raise ArmFailure(400, "InvalidParameterValue", f"A SQL virtual machine must be named after its virtual "
                                                           f"machine '{vm.name}' and be in its subscription.")
        location = str(body.get("location") or "")
        if location.lower() != vm.location.lower():
            raise ArmFailure(400, "InvalidParameterValue",
                             f"The SQL virtual machine must be in {vm.location}, the region of '{vm.name}'.")
        other = self._holder(SQL_VM, "virtualMachineResourceId", vm.id, rid)
        if other is not None:
            raise ArmFailure(409, "Conflict", f"Virtual machine '{vm.name}' is already registered by '{other.id}'.")
        kept = {k: copy.deepcopy(props[k]) for k in SQL_KEEPS if k in props}
        kept["virtualMachineResourceId"] = vm.id
        kept.setdefault("sqlServerLicenseType", "PAYG")
        kept.setdefault("sqlManagement", "LightWeight")
        return vm.location, kept

    # ------------------------------------------------------------------ managed certificates and bindings

    def _certificate(self, rid: str, body: dict[str, Any], props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        host = str(props.get("canonicalName") or "")
        if not host:
            raise ArmFailure(400, "BadRequest", "The sandbox issues free managed certificates only: "
                                                "properties.canonicalName is required.")
        plan_id = _id_of(props.get("serverFarmId"))
        plan = self.world.resource(plan_id) if plan_id else None
        if plan is None or plan.type.lower() != PLAN:
            raise ArmFailure(400, "BadRequest", f"App Service plan '{plan_id}' was not found.")
        if not any(host.lower() in self._host_names(site) for site in self._sites_on(plan)):
            raise ArmFailure(400, "BadRequest", f"Host name '{host}' is not added to an app of plan '{plan.name}'; "
                                                "add the custom domain first.")
        location = str(body.get("location") or plan.location)
        existing = self.world.resource(rid)
        same = existing is not None and str(existing.properties.get("canonicalName") or "").lower() == host.lower()
        # A new certificate is a new key pair: a new thumbprint (the same one when the PUT is repeated).
        thumbprint = str(existing.properties.get("thumbprint")) if existing is not None and same else \
            hashlib.sha1(uuid.uuid4().bytes).hexdigest().upper()
        return location, {"canonicalName": host, "serverFarmId": plan.id, "hostNames": [host],
                          "subjectName": host, "issuer": "GeoTrust TLS RSA CA G1", "thumbprint": thumbprint}

    def _sites_on(self, plan: Res) -> list[Res]:
        return [r for sub in self.world.subscriptions.values() for r in self.world.resources(sub)
                if r.type.lower() == SITE and _id_of(r.properties.get("serverFarmId")).lower() == plan.id.lower()]

    @staticmethod
    def _host_names(site: Res) -> set[str]:
        names = {str(h).lower() for h in site.properties.get("hostNames") or []}
        names |= {str(s.get("name") or "").lower() for s in site.properties.get("hostNameSslStates") or []
                  if isinstance(s, dict)}
        return names

    def _sites_binding(self, thumbprint: str) -> list[str]:
        if not thumbprint:
            return []
        return sorted(site.name for sub in self.world.subscriptions.values() for site in self.world.resources(sub)
                      if site.type.lower() == SITE and any(
                          str(s.get("thumbprint") or "").upper() == thumbprint.upper()
                          for s in site.properties.get("hostNameSslStates") or [] if isinstance(s, dict)))

    @staticmethod
    def _ssl_state(site: Res, host: str) -> dict[str, Any] | None:
        return next((s for s in site.properties.get("hostNameSslStates") or []
                     if isinstance(s, dict) and str(s.get("name") or "").lower() == host.lower()), None)

    def _binding_body(self, site: Res, host: str) -> dict[str, Any]:
        state = self._ssl_state(site, host)
        if state is None and host.lower() not in self._host_names(site):
            raise ArmFailure(404, "NotFound", f"Host name binding '{host}' of site '{site.name}' was not found.")
        props: dict[str, Any] = {"siteName": site.name, "sslState": (state or {}).get("sslState") or "Disabled"}
        if state and state.get("thumbprint"):
            props["thumbprint"] = state["thumbprint"]
        return {"id": f"{site.id}/hostNameBindings/{host}", "name": f"{site.name}/{host}",
                "type": "Microsoft.Web/sites/hostNameBindings", "properties": props}

    def _put_binding(self, site: Res, host: str, props: dict[str, Any]) -> web.Response:
        ssl_state = str(props.get("sslState") or "Disabled")
        thumbprint = str(props.get("thumbprint") or "")
        if ssl_state.lower() not in ("disabled", "snienabled", "ipbasedenabled"):
            raise ArmFailure(400, "BadRequest", f"sslState '{ssl_state}' is not one of Disabled, SniEnabled, "
                                                "IpBasedEnabled.")
        if ssl_state.lower() != "disabled":
            certs = [r for sub in self.world.subscriptions.values() for r in self.world.resources(sub)
                     if r.type.lower() == CERTIFICATE and r.subscription_id.lower() == site.subscription_id.lower()
                     and str(r.properties.get("thumbprint") or "").upper() == thumbprint.upper()]
            if not thumbprint or not certs:
                raise ArmFailure(400, "BadRequest", f"Certificate with thumbprint '{thumbprint}' was not found in "
                                                    f"the subscription of site '{site.name}'.")
            if not any(host.lower() in {str(h).lower() for h in c.properties.get("hostNames") or []} for c in certs):
                raise ArmFailure(400, "BadRequest", f"Certificate '{thumbprint}' does not cover host name '{host}'.")
        group = self.world.group(site.subscription_id, site.group)
        assert group is not None
        check_write_allowed(self.world, group)
        states = site.properties.setdefault("hostNameSslStates", [])
        state = self._ssl_state(site, host)
        if state is None:
            state = {"name": host, "hostType": "Standard"}
            states.append(state)
        state["sslState"] = "Disabled" if ssl_state.lower() == "disabled" else ssl_state
        if ssl_state.lower() == "disabled":
            state.pop("thumbprint", None)
        else:
            state["thumbprint"] = thumbprint.upper()
        hosts = site.properties.setdefault("hostNames", [])
        if host.lower() not in {str(h).lower() for h in hosts}:
            hosts.append(host)
        self.changed()
        return self.answer(self._binding_body(site, host), 200)
