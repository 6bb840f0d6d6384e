"""Azure RBAC as Microsoft.Authorization answers it (api-version 2022-04-01): role assignments listed,
read, created and deleted at any scope, and role definitions read and updated.

Decided from the directory's facts (`sandbox.directory`): a principal that is not in the tenant (deleted)
cannot be assigned (400 PrincipalNotFound); a custom role is only visible at or below its assignable
scopes (400 RoleDefinitionDoesNotExist elsewhere, as ARM answers); one principal holds one role once per
scope (409 RoleAssignmentExists).
"""

from __future__ import annotations

import re
import time
from typing import Any

from aiohttp import web

from sandbox.api import ArmApi, member
from sandbox.auth import Caller
from sandbox.directory import Assignment, CustomRole, DirectoryError
from sandbox.errors import ArmFailure
from sandbox.routing import Body, Within, route
from sandbox.scopes import Scope, resolve
from sandbox.state import World

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_PRINCIPAL_FILTER = re.compile(r"^\s*principalId\s+eq\s+'([^']+)'\s*$", re.IGNORECASE)
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
ASSIGNMENTS = "/{scope}/providers/Microsoft.Authorization/roleAssignments"
DEFINITION = "/{scope}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
ASSIGN = "Microsoft.Authorization/roleAssignments/"


def _covers(outer: str, inner: str) -> bool:
    a, b = outer.lower().rstrip("/"), inner.lower().rstrip("/")
    return b == a or b.startswith(a + "/")


def _stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime())


class RbacApi(ArmApi):
    # ------------------------------------------------------------------ role assignments

    def _tenant_assignments(self, scope: Scope) -> list[Assignment]:
        return self.world.directory.assignments.setdefault(scope.sub.tenant_id.lower(), [])

    def _definition_id(self, scope: Scope, role_ref: str) -> str:
        role = self.world.directory.role(role_ref)
        return f"/subscriptions/{scope.sub.id}/providers/Microsoft.Authorization/roleDefinitions/{role.id}"

    def _assignment_body(self, scope: Scope, a: Assignment) -> dict[str, Any]:
        exists = self.world.directory.principal_exists(scope.sub.tenant_id, a.principal)
        return {
            "id": f"{a.scope}/providers/Microsoft.Authorization/roleAssignments/{a.name}",
            "name": a.name, "type": "Microsoft.Authorization/roleAssignments",
            "properties": {
                "roleDefinitionId": self._definition_id(scope, a.role), "principalId": a.principal,
                # Azure shows an assignment whose principal was deleted as "Unknown".
                "principalType": a.principal_type if exists else "Unknown", "scope": a.scope,
                "condition": a.condition, "conditionVersion": "2.0" if a.condition else None,
                "description": a.description, "createdOn": None, "updatedOn": None,
            },
        }

    @route("GET", ASSIGNMENTS, "RoleAssignments_ListForScope", action=ASSIGN + "read", within=Within.SCOPE)
    async def list_assignments(self, request: web.Request, caller: Caller, *,
                               scope: tuple[str, ...]) -> web.Response:
        at = resolve(self.world, scope)
        wanted = request.query.get("$filter", "").strip()
        principal = None
        if wanted and wanted.lower() != "atscope()":
            m = _PRINCIPAL_FILTER.match(wanted)
            if m is None:
                raise ArmFailure(400, "UnsupportedQuery", f"The filter '{wanted}' is not supported; use atScope() "
                                 "or principalId eq '{id}'.")
            principal = m[1].lower()
        out = []
        for a in self._tenant_assignments(at):
            above = _covers(a.scope, at.id)
            below = _covers(at.id, a.scope)
            if wanted.lower() == "atscope()" and not above:
                continue
            if not (above or below) or (principal and a.principal.lower() != principal):
                continue
            out.append(self._assignment_body(at, a))
        return self.answer({"value": out})

    def _find(self, scope: Scope, name: str) -> Assignment | None:
        return next((a for a in self._tenant_assignments(scope)
                     if a.name.lower() == name.lower() and a.scope.lower() == scope.id.lower()), None)

    @route("GET", ASSIGNMENTS + "/{name}", "RoleAssignments_Get", action=ASSIGN + "read", within=Within.SCOPE)
    async def get_assignment(self, request: web.Request, caller: Caller, *, scope: tuple[str, ...],
                             name: str) -> web.Response:
        at = resolve(self.world, scope)
        found = self._find(at, name)
        if found is None:
            raise ArmFailure(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
        return self.answer(self._assignment_body(at, found))

    @route("PUT", ASSIGNMENTS + "/{name}", "RoleAssignments_Create", action=ASSIGN + "write", within=Within.SCOPE,
           body=Body.REQUIRED)
    async def create_assignment(self, request: web.Request, caller: Caller, *, scope: tuple[str, ...], name: str,
                                body: dict[str, Any]) -> web.Response:
        return self._create_assignment(resolve(self.world, scope), name, body)

    def _create_assignment(self, scope: Scope, name: str, body: dict[str, Any]) -> web.Response:
        if not _GUID.match(name):
            raise ArmFailure(400, "InvalidRoleAssignmentId",
                             f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.")
        props = member(body, "properties")
        definition, principal = props.get("roleDefinitionId"), props.get("principalId")
        if not isinstance(definition, str) or not isinstance(principal, str):
            raise ArmFailure(400, "InvalidRequestContent",
                             "properties.roleDefinitionId and properties.principalId are required.")
        role = self._visible_role(scope, definition)
        tenant = scope.sub.tenant_id
        if not self.world.directory.principal_exists(tenant, principal):
            raise ArmFailure(400, "PrincipalNotFound",
                             f"Principal {principal.replace('-', '')} does not exist in the directory {tenant}. "
                             "Check that you have the correct principal ID. If you are creating this principal and "
                             "then immediately assigning a role, this error might be related to a replication "
                             "delay. In this case, set the role assignment principalType property to a value, "
                             "such as ServicePrincipal, User, or Group.")
        ptype = props.get("principalType") or "User"
        if ptype not in PRINCIPAL_TYPES:
            raise ArmFailure(400, "InvalidPrincipalType", f"The principal type '{ptype}' is not valid.")
        condition = props.get("condition") or None
        if props.get("conditionVersion") not in (None, "2.0"):
            raise ArmFailure(400, "InvalidConditionVersion", "The only supported condition version is '2.0'.")
        existing = self._find(scope, name)
        for a in self._tenant_assignments(scope):
            same = (a.principal.lower() == principal.lower() and a.scope.lower() == scope.id.lower()
                    and self.world.directory.role(a.role).id == role.id)
            if same or a is existing:
                raise ArmFailure(409, "RoleAssignmentExists", "The role assignment already exists.")
        created = Assignment(principal, role.id, scope.id, name.lower(), ptype, condition, props.get("description"))
        self._tenant_assignments(scope).append(created)
        self.changed()
        out = self._assignment_body(scope, created)
        out["properties"]["createdOn"] = out["properties"]["updatedOn"] = _stamp()
        return self.answer(out, 201)

    def _visible_role(self, scope: Scope, definition_id: str) -> Any:
        guid = definition_id.rsplit("/", 1)[-1]
        try:
            role = self.world.directory.role(guid)
        except DirectoryError:
            role = None
        custom = self.world.directory.custom_roles.get(guid.lower())
        if custom is not None and (custom.tenant != scope.sub.tenant_id.lower()
                                   or not any(_covers(s, scope.id) for s in custom.assignable_scopes)):
            role = None
        if role is None:
            raise ArmFailure(400, "RoleDefinitionDoesNotExist",
                             f"The specified role definition with ID '{guid}' does not exist.")
        return role

    @route("DELETE", ASSIGNMENTS + "/{name}", "RoleAssignments_Delete", action=ASSIGN + "delete",
           within=Within.SCOPE)
    async def delete_assignment(self, request: web.Request, caller: Caller, *, scope: tuple[str, ...],
                                name: str) -> web.Response:
        at = resolve(self.world, scope)
        found = self._find(at, name)
        if found is None:
            return web.Response(status=204)
        body = self._assignment_body(at, found)
        self._tenant_assignments(at).remove(found)
        self.changed()
        return self.answer(body)

    # ------------------------------------------------------------------ role definitions

    def _definition_body(self, scope: Scope, guid: str) -> dict[str, Any]:
        custom = self.world.directory.custom_roles.get(guid.lower())
        if custom is not None:
            name, kind, actions, not_actions = custom.name, "CustomRole", custom.actions, custom.not_actions
            scopes, description = custom.assignable_scopes, custom.description
        else:
            role = self.world.directory.role(guid)
            name, kind, actions, not_actions = role.name, "BuiltInRole", list(role.actions), list(role.not_actions)
            scopes, description = ["/"], ""
        return {
            "id": f"{scope.id}/providers/Microsoft.Authorization/roleDefinitions/{guid}",
            "name": guid, "type": "Microsoft.Authorization/roleDefinitions",
            "properties": {"roleName": name, "type": kind, "description": description,
                           "permissions": [{"actions": actions, "notActions": not_actions, "dataActions": [],
                                            "notDataActions": []}],
                           "assignableScopes": scopes},
        }

    @route("GET", DEFINITION, "RoleDefinitions_Get", action="Microsoft.Authorization/roleDefinitions/read",
           within=Within.SCOPE)
    async def get_definition(self, request: web.Request, caller: Caller, *, scope: tuple[str, ...],
                             guid: str) -> web.Response:
        at = resolve(self.world, scope)
        try:
            self._visible_role(at, guid)
        except ArmFailure:
            raise ArmFailure(404, "RoleDefinitionDoesNotExist",
                             f"The specified role definition with ID '{guid}' does not exist.") from None
        return self.answer(self._definition_body(at, guid))

    @route("PUT", DEFINITION, "RoleDefinitions_CreateOrUpdate", action="Microsoft.Authorization/roleDefinitions/write",
           within=Within.SCOPE, body=Body.REQUIRED)
    async def put_definition(self, request: web.Request, caller: Caller, *, scope: tuple[str, ...], guid: str,
                             body: dict[str, Any]) -> web.Response:
        return self._put_definition(resolve(self.world, scope), guid, body)

    def _put_definition(self, scope: Scope, guid: str, body: dict[str, Any]) -> web.Response:
        props = member(body, "properties")
        custom = self.world.directory.custom_roles.get(guid.lower())
        if custom is None:
            try:
                self.world.directory.role(guid)
            except DirectoryError:
                pass
            else:
                raise ArmFailure(400, "RoleDefinitionUpdateNotAllowed", "Built-in role definitions cannot be changed.")
        scopes = props.get("assignableScopes")
        permissions = props.get("permissions")
        perms = permissions[0] if isinstance(permissions, list) and permissions and isinstance(
            permissions[0], dict) else {}
        if not isinstance(scopes, list) or not scopes or not props.get("roleName"):
            raise ArmFailure(400, "InvalidRoleDefinition",
                             "properties.roleName and a non-empty properties.assignableScopes are required.")
        for s in scopes:
            if resolve_or_none(self.world, s) is None:
                raise ArmFailure(400, "InvalidAssignableScope", f"The assignable scope '{s}' does not exist.")
        if not any(_covers(str(s), scope.id) for s in scopes):
            raise ArmFailure(400, "InvalidRoleDefinitionScope",
                             f"The scope '{scope.id}' of the request is not one of the role's assignable scopes.")
        tenant = scope.sub.tenant_id.lower()
        updated = CustomRole(guid, str(props["roleName"]), list(perms.get("actions") or []),
                             list(perms.get("notActions") or []), [str(s) for s in scopes],
                             str(props.get("description") or ""), tenant)
        self.world.directory.custom_roles[guid.lower()] = updated
        self.changed()
        return self.answer(self._definition_body(scope, guid), 201)  # the 2022-04-01 spec: 201 for both


def resolve_or_none(world: World, scope: str) -> Scope | None:
    try:
        return resolve(world, [p for p in scope.split("/") if p])
    except ArmFailure:
        return None

