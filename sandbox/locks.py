"""Management locks, as Microsoft.Authorization/locks answers them (api-version 2016-09-01+): listed at a
subscription (with its groups' and resources' locks) or a group (with its resources'), and read, created or
updated (201 new, 200 existing) and deleted (200, or 204 when there was no such lock) at any scope.

Lock writes are not themselves blocked by a ReadOnly lock: that is how a lock is ever lifted.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.routing import Body, Within, route
from sandbox.scopes import Scope, resolve

LEVELS = {"readonly": "ReadOnly", "cannotdelete": "CanNotDelete"}
MAX_NOTES = 512
LOCKS = "/providers/Microsoft.Authorization/locks"
BY_SCOPE = "/{scope}" + LOCKS + "/{name}"
ACTION = "Microsoft.Authorization/locks/"


def lock_body(scope_id: str, lock: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {"level": lock.get("level", "NotSpecified"), "owners": []}
    if lock.get("notes"):
        props["notes"] = lock["notes"]
    return {"properties": props, "id": f"{scope_id}{LOCKS}/{lock['name']}",
            "type": "Microsoft.Authorization/locks", "name": lock["name"]}


class LockApi(ArmApi):
    @route("GET", "/subscriptions/{subscription}" + LOCKS, "ManagementLocks_ListAtSubscriptionLevel",
           action=ACTION + "read")
    async def list_at_subscription(self, request: web.Request, caller: Caller, *, subscription: str) -> web.Response:
        sub = self.find_subscription(caller, subscription)
        out = [lock_body(f"/subscriptions/{sub.id}", lock) for lock in sub.locks]
        return self.answer(self.page(request, out + self._group_locks(list(sub.groups.values()))))

    @route("GET", "/subscriptions/{subscription}/resourceGroups/{group}" + LOCKS,
           "ManagementLocks_ListAtResourceGroupLevel", action=ACTION + "read", within=Within.GROUP)
    async def list_at_group(self, request: web.Request, caller: Caller, *, subscription: str,
                            group: str) -> web.Response:
        found = self.find_group(self.find_subscription(caller, subscription), group)
        return self.answer(self.page(request, self._group_locks([found])))

    @staticmethod
    def _group_locks(groups: list[Any]) -> list[dict[str, Any]]:
        out = []
        for g in groups:
            out += [lock_body(g.id, lock) for lock in g.locks]
            for res in g.resources.values():
                out += [lock_body(res.id, lock) for lock in res.locks]
        return out

    @staticmethod
    def _find(scope: Scope, name: str) -> dict[str, Any] | None:
        return next((lock for lock in scope.locks if str(lock.get("name", "")).lower() == name.lower()), None)

    @route("GET", BY_SCOPE, "ManagementLocks_GetByScope", action=ACTION + "read", within=Within.SCOPE)
    async def get(self, request: web.Request, caller: Caller, *, scope: tuple[str, ...], name: str) -> web.Response:
        found = resolve(self.world, scope)
        lock = self._find(found, name)
        if lock is None:
            raise ArmFailure(404, "LockNotFound", f"The lock '{name}' could not be found at scope '{found.id}'.")
        return self.answer(lock_body(found.id, lock))

    @route("PUT", BY_SCOPE, "ManagementLocks_CreateOrUpdateByScope", action=ACTION + "write", within=Within.SCOPE,
           body=Body.REQUIRED)
    async def put(self, request: web.Request, caller: Caller, *, scope: tuple[str, ...], name: str,
                  body: dict[str, Any]) -> web.Response:
        found = resolve(self.world, scope)
        props = body.get("properties")
        level = LEVELS.get(str((props or {}).get("level", "")).lower()) if isinstance(props, dict) else None
        if not isinstance(props, dict) or level is None:
            raise ArmFailure(400, "LockLevelInvalid", "The lock level must be 'CanNotDelete' or 'ReadOnly'.")
        notes = props.get("notes")
        if notes is not None and (not isinstance(notes, str) or len(notes) > MAX_NOTES):
            raise ArmFailure(400, "LockNotesInvalid", f"Lock notes must be text of at most {MAX_NOTES} characters.")
        existing = self._find(found, name)
        lock: dict[str, Any] = {"name": existing["name"] if existing else name, "level": level}
        if notes:
            lock["notes"] = notes
        if existing is not None:
            found.locks[found.locks.index(existing)] = lock
        else:
            found.locks.append(lock)
        self.changed()
        return self.answer(lock_body(found.id, lock), 200 if existing else 201)

    @route("DELETE", BY_SCOPE, "ManagementLocks_DeleteByScope", action=ACTION + "delete", within=Within.SCOPE)
    async def delete(self, request: web.Request, caller: Caller, *, scope: tuple[str, ...],
                     name: str) -> web.Response:
        found = resolve(self.world, scope)
        lock = self._find(found, name)
        if lock is None:
            return web.Response(status=204)
        found.locks.remove(lock)
        self.changed()
        return web.Response(status=200)
