"""Tags as Microsoft.Resources/tags answers them (api-version 2021-04-01+): the tags of a subscription, a
resource group or a resource, at `{scope}/providers/Microsoft.Resources/tags/default`, read, replaced (PUT),
merged, replaced or partly deleted (PATCH with `operation`) and deleted.

Decided from the sandbox's own state: names of at most 512 and values of at most 256 characters, no name with
`<>%&\\?/` or a control character (Azure's 400s); a ReadOnly lock on the scope or above it refuses the write
(409 ScopeLocked). Source of the limits:
https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox.api import ArmApi
from sandbox.auth import Caller
from sandbox.errors import ArmFailure
from sandbox.routing import Body, Within, route
from sandbox.scopes import Scope, resolve

TAGS = "/{scope}/providers/Microsoft.Resources/tags/default"
ACTION = "Microsoft.Resources/tags/"
MAX_NAME, MAX_VALUE = 512, 256
_RESERVED = set("<>%&\\?/")
_OPERATIONS = {"merge": "Merge", "replace": "Replace", "delete": "Delete"}


def _holder(scope: Scope) -> Any:
    return scope.res or scope.group or scope.sub


def _body(scope: Scope) -> dict[str, Any]:
    return {"id": f"{scope.id}/providers/Microsoft.Resources/tags/default", "name": "default",
            "type": "Microsoft.Resources/tags", "properties": {"tags": dict(_holder(scope).tags)}}


def _tags(body: dict[str, Any]) -> dict[str, str]:
    props = body.get("properties")
    tags = props.get("tags") if isinstance(props, dict) else None
    if not isinstance(tags, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in tags.items()):
        raise ArmFailure(400, "InvalidRequestContent", "properties.tags must be an object of names and text values.")
    bad = sorted(k for k in tags if _RESERVED & set(k) or any(ord(c) < 32 for c in k))
    if bad:
        raise ArmFailure(400, "InvalidTagNameCharacters",
                         f"The tag names '{','.join(bad)}' have reserved characters '<,>,%,&,\\,?,/' or control "
                         "characters.")
    for k, v in tags.items():
        if not k or len(k) > MAX_NAME:
            raise ArmFailure(400, "InvalidTagName", f"Tag key too large. Following tag name '{k}' exceeded the maximum "
                             f"length. Maximum allowed length for tag name - '{MAX_NAME}' characters.")
        if len(v) > MAX_VALUE:
            raise ArmFailure(400, "InvalidTagValueLength", f"Tag value too large. Following tag value '{v}' exceeded "
                             f"the maximum length. Maximum allowed length for tag value - '{MAX_VALUE}' characters.")
    return dict(tags)


class TagsApi(ArmApi):
    def _writable(self, scope: Scope) -> None:
        holders = [h for h in (scope.res, scope.group, scope.sub) if h is not None]
        for h in holders:
            if any(str(lock.get("level", "")).lower() == "readonly" for lock in h.locks):
                raise ArmFailure(409, "ScopeLocked",
                                 f"The scope '{scope.id}' cannot perform write operation because following scope(s) "
                                 f"are locked: '{_id(scope, h)}'. Please remove the lock and try again.")

    def _store(self, scope: Scope, tags: dict[str, str]) -> web.Response:
        _holder(scope).tags = tags
        self.changed()
        return self.answer(_body(scope))

    @route("GET", TAGS, "Tags_GetAtScope", action=ACTION + "read", within=Within.SCOPE)
    async def get(self, request: web.Request, caller: Caller, *, scope: tuple[str, ...]) -> web.Response:
        return self.answer(_body(resolve(self.world, scope)))

    @route("PUT", TAGS, "Tags_CreateOrUpdateAtScope", action=ACTION + "write", within=Within.SCOPE,
           body=Body.REQUIRED)
    async def put(self, request: web.Request, caller: Caller, *, scope: tuple[str, ...],
                  body: dict[str, Any]) -> web.Response:
        found = resolve(self.world, scope)
        tags = _tags(body)
        self._writable(found)
        return self._store(found, tags)

    @route("PATCH", TAGS, "Tags_UpdateAtScope", action=ACTION + "write", within=Within.SCOPE, body=Body.REQUIRED)
    async def patch(self, request: web.Request, caller: Caller, *, scope: tuple[str, ...],
                    body: dict[str, Any]) -> web.Response:
        found = resolve(self.world, scope)
        operation = _OPERATIONS.get(str(body.get("operation", "")).lower())
        if operation is None:
            raise ArmFailure(400, "InvalidRequestContent", "operation must be one of 'Merge', 'Replace', 'Delete'.")
        tags = _tags(body)
        self._writable(found)
        now = dict(_holder(found).tags)
        if operation == "Merge":
            now.update(tags)
        elif operation == "Replace":
            now = tags
        else:  # a name alone deletes that tag; a name with a value only when the value matches
            now = {k: v for k, v in now.items() if k not in tags or (tags[k] and tags[k] != v)}
        return self._store(found, now)

    @route("DELETE", TAGS, "Tags_DeleteAtScope", action=ACTION + "delete", within=Within.SCOPE)
    async def delete(self, request: web.Request, caller: Caller, *, scope: tuple[str, ...]) -> web.Response:
        found = resolve(self.world, scope)
        self._writable(found)
        _holder(found).tags = {}
        self.changed()
        return web.Response(status=200)


def _id(scope: Scope, holder: Any) -> str:
    return holder.id if holder is not scope.sub else f"/subscriptions/{scope.sub.id}"
