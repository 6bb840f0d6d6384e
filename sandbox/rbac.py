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

from sandbox.directory import Assignment, CustomRole, DirectoryError
from sandbox.moves import ArmFailure
from sandbox.scopes import Call, Scope, resolve, split_extension
from sandbox.state import World

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
_PRINCIPAL_FILTER = re.compile(r"^\s*principalId\s+eq\s+'([^']+)'\s*$", re.IGNORECASE)
PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")


def _covers(outer: str, inner: str) -> bool:
    a, b = outer.lower().rstrip("/"), inner.lower().rstrip("/")
    return b == a or b.startswith(a + "/")


def _stamp() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.0000000Z", time.gmtime())


class RbacApi:
    def __init__(self, world: World, answer: Any, changed: Any) -> None:
        self.world = world
        self._answer = answer
        self._changed = changed

    # ------------------------------------------------------------------ routing

    def route(self, method: str, parts: list[str]) -> Call | None:
        for kind, ops in (("roleassignments", self._assignment_ops), ("roledefinitions", self._definition_ops)):
            found = split_extension(parts, "microsoft.authorization", kind)
            if found is not None and len(found[1]) <= 1:
                return ops(method, *found)
        return None

    def _assignment_ops(self, method: str, scope_parts: list[str], rest: list[str]) -> Call | None:
        scope = "/" + "/".join(scope_parts)
        action = "Microsoft.Authorization/roleAssignments/"
        if not rest and method == "GET":
            return Call("RoleAssignments_ListForScope", "reads", action + "read", scope,
                        self._bind(self.list_assignments, scope_parts))
        if len(rest) != 1:
            return None
        handlers = {"GET": ("RoleAssignments_Get", "reads", "read", self.get_assignment),
                    "PUT": ("RoleAssignments_Create", "writes", "write", self.create_assignment),
                    "DELETE": ("RoleAssignments_Delete", "writes", "delete", self.delete_assignment)}
        if method not in handlers:
            return None
        op, kind, verb, handler = handlers[method]
        return Call(op, kind, action + verb, scope, self._bind(handler, scope_parts, rest[0]))

    def _definition_ops(self, method: str, scope_parts: list[str], rest: list[str]) -> Call | None:
        scope = "/" + "/".join(scope_parts)
        if len(rest) != 1 or method not in ("GET", "PUT"):
            return None
        if method == "GET":
            return Call("RoleDefinitions_Get", "reads", "Microsoft.Authorization/roleDefinitions/read", scope,
                        self._bind(self.get_definition, scope_parts, rest[0]))
        return Call("RoleDefinitions_CreateOrUpdate", "writes", "Microsoft.Authorization/roleDefinitions/write",
                    scope, self._bind(self.put_definition, scope_parts, rest[0]))

    def _bind(self, handler: Any, scope_parts: list[str], *args: str) -> Any:
        async def call(request: web.Request, caller: Any) -> web.Response:
            return await handler(request, resolve(self.world, scope_parts), *args)

        return call

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

    async def list_assignments(self, request: web.Request, scope: Scope) -> web.Response:
        wanted = request.query.get("$filter", "").strip()
        principal = None
        if wanted and wanted.lower() != "atscope()":
            m = _PRINCIPAL_FILTER.match(wanted)
            if m is None:
                raise ArmFailure(400, "UnsupportedQuery", f"The filter '{wanted}' is not supported; use atScope() "
                                 "or principalId eq '{id}'.")
            principal = m[1].lower()
        out = []
        for a in self._tenant_assignments(scope):
            above = _covers(a.scope, scope.id)
            below = _covers(scope.id, a.scope)
            if wanted.lower() == "atscope()" and not above:
                continue
            if not (above or below) or (principal and a.principal.lower() != principal):
                continue
            out.append(self._assignment_body(scope, a))
        return self._answer({"value": out}, 200)

    def _find(self, scope: Scope, name: str) -> Assignment | None:
        return next((a for a in self._tenant_assignments(scope)
                     if a.name.lower() == name.lower() and a.scope.lower() == scope.id.lower()), None)

    async def get_assignment(self, request: web.Request, scope: Scope, name: str) -> web.Response:
        found = self._find(scope, name)
        if found is None:
            raise ArmFailure(404, "RoleAssignmentNotFound", f"The role assignment '{name}' is not found.")
        return self._answer(self._assignment_body(scope, found), 200)

    async def create_assignment(self, request: web.Request, scope: Scope, name: str) -> web.Response:
        if not _GUID.match(name):
            raise ArmFailure(400, "InvalidRoleAssignmentId",
                             f"The role assignment ID '{name}' is not valid. The role assignment ID must be a GUID.")
        body = await _body(request)
        props = body.get("properties") or {}
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
        self._changed()
        out = self._assignment_body(scope, created)
        out["properties"]["createdOn"] = out["properties"]["updatedOn"] = _stamp()
        return self._answer(out, 201)

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

    async def delete_assignment(self, request: web.Request, scope: Scope, name: str) -> web.Response:
        found = self._find(scope, name)
        if found is None:
            return web.Response(status=204)
        body = self._assignment_body(scope, found)
        self._tenant_assignments(scope).remove(found)
        self._changed()
        return self._answer(body, 200)

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

    async def get_definition(self, request: web.Request, scope: Scope, guid: str) -> web.Response:
        try:
            self._visible_role(scope, guid)
        except ArmFailure:
            raise ArmFailure(404, "RoleDefinitionDoesNotExist",
                             f"The specified role definition with ID '{guid}' does not exist.") from None
        return self._answer(self._definition_body(scope, guid), 200)

    async def put_definition(self, request: web.Request, scope: Scope, guid: str) -> web.Response:
        body = await _body(request)
        props = body.get("properties") or {}
        custom = self.world.directory.custom_roles.get(guid.lower())
        if custom is None:
            try:
                self.world.directory.role(guid)
            except DirectoryError:
                pass
            else:
                raise ArmFailure(400, "RoleDefinitionUpdateNotAllowed", "Built-in role definitions cannot be changed.")
        scopes = props.get("assignableScopes")
        perms = (props.get("permissions") or [{}])[0]
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
        self._changed()
        return self._answer(self._definition_body(scope, guid), 201)  # the 2022-04-01 spec: 201 for both


def resolve_or_none(world: World, scope: str) -> Scope | None:
    try:
        return resolve(world, [p for p in scope.split("/") if p])
    except ArmFailure:
        return None


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ArmFailure(400, "InvalidRequestContent", "The request content was invalid and could not be deserialized.")
    return body
