"""Management locks at any scope, as Microsoft.Authorization/locks answers them (api-version 2016-09-01+):
GET, PUT (create or update; 201 new, 200 existing) and DELETE (200, or 204 when there was no such lock).

Lock writes are not themselves blocked by a ReadOnly lock: that is how a lock is ever lifted.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.moves import ArmFailure
from sandbox.scopes import Call, Scope, resolve, split_extension
from sandbox.state import World

LEVELS = {"readonly": "ReadOnly", "cannotdelete": "CanNotDelete"}
MAX_NOTES = 512


def lock_body(scope_id: str, lock: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = {"level": lock.get("level", "NotSpecified"), "owners": []}
    if lock.get("notes"):
        props["notes"] = lock["notes"]
    return {"properties": props, "id": f"{scope_id}/providers/Microsoft.Authorization/locks/{lock['name']}",
            "type": "Microsoft.Authorization/locks", "name": lock["name"]}


class LockApi:
    def __init__(self, world: World, answer: Any, changed: Any) -> None:
        self.world = world
        self._answer = answer  # (body, status) -> web.Response with ARM's headers
        self._changed = changed  # () -> None: the world was written

    def route(self, method: str, parts: list[str]) -> Call | None:
        found = split_extension(parts, "microsoft.authorization", "locks")
        if found is None or len(found[1]) != 1 or method not in ("GET", "PUT", "DELETE"):
            return None
        scope_parts, (name,) = found
        scope = "/" + "/".join(scope_parts)
        verb = {"GET": "read", "PUT": "write", "DELETE": "delete"}[method]
        op = {"GET": "ManagementLocks_GetByScope", "PUT": "ManagementLocks_CreateOrUpdateByScope",
              "DELETE": "ManagementLocks_DeleteByScope"}[method]
        handler = {"GET": self.get, "PUT": self.put, "DELETE": self.delete}[method]

        async def call(request: web.Request, caller: Any) -> web.Response:
            return await handler(request, resolve(self.world, scope_parts), name)

        return Call(op, "reads" if method == "GET" else "writes", f"Microsoft.Authorization/locks/{verb}", scope, call)

    @staticmethod
    def _find(scope: Scope, name: str) -> dict[str, Any] | None:
        return next((lock for lock in scope.locks if str(lock.get("name", "")).lower() == name.lower()), None)

    async def get(self, request: web.Request, scope: Scope, name: str) -> web.Response:
        lock = self._find(scope, name)
        if lock is None:
            raise ArmFailure(404, "LockNotFound", f"The lock '{name}' could not be found at scope '{scope.id}'.")
        return self._answer(lock_body(scope.id, lock), 200)

    async def put(self, request: web.Request, scope: Scope, name: str) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        props = body.get("properties") if isinstance(body, dict) else None
        level = LEVELS.get(str((props or {}).get("level", "")).lower())
        if not isinstance(props, dict) or level is None:
            raise ArmFailure(400, "LockLevelInvalid", "The lock level must be 'CanNotDelete' or 'ReadOnly'.")
        notes = props.get("notes")
        if notes is not None and (not isinstance(notes, str) or len(notes) > MAX_NOTES):
            raise ArmFailure(400, "LockNotesInvalid", f"Lock notes must be text of at most {MAX_NOTES} characters.")
        existing = self._find(scope, name)
        lock: dict[str, Any] = {"name": existing["name"] if existing else name, "level": level}
        if notes:
            lock["notes"] = notes
        if existing is not None:
            scope.locks[scope.locks.index(existing)] = lock
        else:
            scope.locks.append(lock)
        self._changed()
        return self._answer(lock_body(scope.id, lock), 200 if existing else 201)

    async def delete(self, request: web.Request, scope: Scope, name: str) -> web.Response:
        lock = self._find(scope, name)
        if lock is None:
            return web.Response(status=204)
        scope.locks.remove(lock)
        self._changed()
        return web.Response(status=200)
