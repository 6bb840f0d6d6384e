"""What the SDK and ARM answer -> the domain's values (`migration.model`). Pure; untrusted input is read as
data, never followed."""

from __future__ import annotations

from typing import Any

from migration.model import (
    Lock,
    Peering,
    Resource,
    ResourceGroup,
    ResourceId,
    RoleAssignment,
    RoleDefinition,
    Subscription,
    group_of,
    name_of,
)


def text(value: Any) -> str:
    """An SDK enum or string as its text ("" for None)."""
    return str(getattr(value, "value", value)) if value is not None else ""


def plain(value: Any) -> Any:
    """SDK hybrid models -> plain JSON-like data with ARM's camelCase keys."""
    if value is None:
        return None
    if hasattr(value, "as_dict"):
        return value.as_dict()
    return value


def subscription(s: Any) -> Subscription:
    policies = s.subscription_policies
    return Subscription(
        id=s.subscription_id, tenant_id=s.tenant_id or "", display_name=s.display_name or "",
        state=text(s.state), quota_id=(policies.quota_id if policies else "") or "",
        spending_limit=text(policies.spending_limit) if policies and policies.spending_limit else None,
    )


def group(g: Any, subscription_id: str) -> ResourceGroup:
    props = g.properties
    return ResourceGroup(
        id=g.id, subscription_id=subscription_id, name=g.name, location=g.location,
        provisioning_state=(props.provisioning_state if props else None) or "Succeeded",
        managed_by=g.managed_by, tags=dict(g.tags or {}),
    )


def resource(row: dict[str, Any]) -> Resource:
    """A Resource Graph row (or an ARM resource with `subscriptionId` added)."""
    rid = str(row["id"])
    return Resource(
        id=rid, name=str(row.get("name") or name_of(rid) or rid), type=str(row.get("type") or ""),
        location=str(row.get("location") or ""), subscription_id=str(row.get("subscriptionId") or ""),
        # The group's real casing, from the id: Resource Graph's own column lower-cases it.
        resource_group=group_of(rid) or str(row.get("resourceGroup") or ""),
        kind=row.get("kind") or None, sku=row.get("sku") or None, plan=row.get("plan") or None,
        properties=row.get("properties") or {}, tags=row.get("tags") or {}, identity=row.get("identity") or None,
        managed_by=row.get("managedBy") or None, zones=tuple(str(z) for z in row.get("zones") or ()),
    )


def generic(found: Any, resource_id: ResourceId) -> Resource:
    """What the SDK answered for a resource by id, as the domain's Resource."""
    row = plain(found) or {}
    return resource({**row, "id": row.get("id") or str(resource_id), "subscriptionId": resource_id.subscription})


def lock(found: Any) -> Lock:
    return Lock(id=found.id, name=found.name, level=text(found.level),
                scope=str(ResourceId.parse(found.id).parent), notes=found.notes or None)


def assignment(a: Any) -> RoleAssignment:
    return RoleAssignment(
        id=a.id, name=a.name, scope=a.scope or "", role_definition_id=a.role_definition_id or "",
        principal_id=a.principal_id or "", principal_type=text(a.principal_type) or "Unknown",
        condition=a.condition or None, description=a.description or None)


def definition(d: Any) -> RoleDefinition:
    return RoleDefinition(id=d.id, role_name=d.role_name or "", custom=text(d.role_type) == "CustomRole",
                          assignable_scopes=tuple(d.assignable_scopes or ()))


def peering(vnet_id: ResourceId, p: Any) -> Peering:
    remote = p.remote_virtual_network
    return Peering(
        vnet_id=str(vnet_id), name=p.name or "", remote_vnet_id=(remote.id if remote else "") or "",
        allow_virtual_network_access=bool(p.allow_virtual_network_access),
        allow_forwarded_traffic=bool(p.allow_forwarded_traffic), allow_gateway_transit=bool(p.allow_gateway_transit),
        use_remote_gateways=bool(p.use_remote_gateways), state=text(p.peering_state))
