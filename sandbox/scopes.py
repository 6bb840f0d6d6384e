"""ARM scopes as the extension APIs (locks, role assignments) address them: a subscription, a resource group
or a resource, written as the path before `/providers/Microsoft.Authorization/...`; and the lookup of a
resource by id with Azure's 404."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.errors import ArmFailure
from sandbox.state import Group, Res, Sub, World, parse_resource_id


@dataclass(frozen=True, slots=True)
class Scope:
    sub: Sub
    group: Group | None = None
    res: Res | None = None

    @property
    def id(self) -> str:
        if self.res is not None:
            return self.res.id
        if self.group is not None:
            return self.group.id
        return f"/subscriptions/{self.sub.id}"

    @property
    def locks(self) -> list[dict[str, Any]]:
        holder: Sub | Group | Res = self.res or self.group or self.sub
        return holder.locks


def resolve(world: World, scope_parts: Sequence[str]) -> Scope:
    """The existing subscription, group or resource a scope names (ARM's 404s otherwise)."""
    text = "/" + "/".join(scope_parts)
    if len(scope_parts) < 2 or scope_parts[0].lower() != "subscriptions":
        raise ArmFailure(400, "InvalidScope", f"The scope '{text}' is not a subscription, resource group or resource.")
    sub = world.sub(scope_parts[1])
    if sub is None:
        raise ArmFailure(404, "SubscriptionNotFound", f"The subscription '{scope_parts[1]}' could not be found.")
    if len(scope_parts) == 2:
        return Scope(sub)
    if scope_parts[2].lower() != "resourcegroups" or len(scope_parts) < 4:
        raise ArmFailure(400, "InvalidScope", f"The scope '{text}' is not a subscription, resource group or resource.")
    group = sub.groups.get(scope_parts[3].lower())
    if group is None:
        raise ArmFailure(404, "ResourceGroupNotFound", f"Resource group '{scope_parts[3]}' could not be found.")
    if len(scope_parts) == 4:
        return Scope(sub, group)
    parsed = parse_resource_id(text)
    if parsed is None:
        raise ArmFailure(400, "InvalidScope", f"The scope '{text}' is not a subscription, resource group or resource.")
    res = group.resources.get(text.lower())
    if res is None:
        raise ArmFailure(404, "ResourceNotFound",
                         f"The Resource '{parsed.type}/{'/'.join(parsed.names)}' under resource group "
                         f"'{group.name}' was not found.")
    return Scope(sub, group, res)


def resource_of_type(world: World, rid: str, type_: str) -> tuple[Group, Res]:
    """The resource `rid`, of `type_` (lower-case), and its group; Azure's 404 when there is none."""
    res = world.resource(rid)
    if res is None or res.type.lower() != type_:
        raise ArmFailure(404, "ResourceNotFound", f"The Resource '{rid.split('/providers/', 1)[-1]}' under resource "
                                                  f"group '{rid.split('/')[4]}' was not found.")
    group = world.group(res.subscription_id, res.group)
    assert group is not None
    return group, res
