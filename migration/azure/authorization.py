"""Microsoft.Authorization: role assignments and role definitions (read, and re-created after a move), what
the bot's identity may do on a subscription (`permissions`), and who the bot's token says it is."""

from __future__ import annotations

import base64
import json

from azure.mgmt.authorization.v2022_04_01 import models as am

from migration.azure import convert
from migration.azure.clients import TenantClients
from migration.azure.errors import maps_errors
from migration.azure.pipeline import ARM_SCOPE
from migration.model import Permission, Principal, ResourceId, RoleAssignment, RoleDefinition
from migration.model.resources import role_guid

# The SDK's operation groups cover permissions only of resource groups and resources: the subscription's go
# through the gateway's own pipeline.
PERMISSIONS_API = "2022-04-01"


def _covers(assignable: str, scope: ResourceId) -> bool:
    """Whether a role's assignable scope (`/`, a management group, a subscription...) includes `scope`."""
    inside = str(scope).lower()
    return inside == assignable.lower() or inside.startswith(assignable.lower().rstrip("/") + "/")


class ArmAuthorization:
    def __init__(self, clients: TenantClients) -> None:
        self._clients = clients

    @maps_errors(about="subscription_id")
    async def list_role_assignments(self, subscription_id: str) -> list[RoleAssignment]:
        """Every role assignment in the subscription: on it, above it, and on its groups and resources."""
        client = self._clients.authorization(subscription_id)
        return [convert.assignment(a) async for a in client.role_assignments.list_for_subscription()]

    @maps_errors(write=True, about="scope")
    async def create_role_assignment(self, scope: ResourceId | str, *, name: str, role_definition_id: str,
                                     principal_id: str, principal_type: str | None = None,
                                     condition: str | None = None, description: str | None = None) -> RoleAssignment:
        """Create the assignment `name` (a GUID) on a scope. The role definition id may name any subscription:
        it is re-rooted in the scope's subscription."""
        where = ResourceId.of(scope)
        role = where.subscription_scope.child("roleDefinitions", role_guid(role_definition_id),
                                              namespace="Microsoft.Authorization")
        params = am.RoleAssignmentCreateParameters(
            role_definition_id=str(role), principal_id=principal_id,
            principal_type=principal_type,  # type: ignore[arg-type]  # None: Azure infers it; the SDK sends nothing
            description=description, condition=condition, condition_version="2.0" if condition else None)
        client = self._clients.authorization(where.subscription)
        return convert.assignment(await client.role_assignments.create(str(where), name, params))

    @maps_errors(about="scope")
    async def get_role_definition(self, role_definition_id: str, *, scope: ResourceId | str) -> RoleDefinition:
        where = ResourceId.of(scope)
        client = self._clients.authorization(where.subscription)
        return convert.definition(await client.role_definitions.get(str(where), role_guid(role_definition_id)))

    @maps_errors(write=True, about="scope")
    async def add_assignable_scope(self, role_definition_id: str, *, scope: ResourceId | str) -> RoleDefinition:
        """Make a custom role assignable at `scope` too (unchanged when it already is). The role is read and
        written where it is visible: the subscription its id names (else the scope's)."""
        wanted = ResourceId.of(scope)
        try:
            home = ResourceId.parse(role_definition_id).subscription_scope
        except ValueError:  # a tenant-level id (/providers/Microsoft.Authorization/roleDefinitions/...)
            home = wanted.subscription_scope
        client = self._clients.authorization(home.subscription)
        guid = role_guid(role_definition_id)
        found = await client.role_definitions.get(str(home), guid)
        scopes = list(found.assignable_scopes or ())
        if not any(_covers(s, wanted) for s in scopes):
            found.assignable_scopes = [*scopes, str(wanted)]
            found = await client.role_definitions.create_or_update(str(home), guid, found)
        return convert.definition(found)

    @maps_errors(about="subscription_id")
    async def list_permissions(self, subscription_id: str) -> list[Permission]:
        """What the bot's identity may do on the subscription (one entry per role it holds there)."""
        path = f"{ResourceId(subscription_id)}/providers/Microsoft.Authorization/permissions"
        return [Permission(actions=tuple(p.get("actions") or ()), not_actions=tuple(p.get("notActions") or ()))
                async for p in self._clients.pipeline().pages(path, api_version=PERMISSIONS_API)]

    @maps_errors()
    async def whoami(self) -> Principal | None:
        """The bot's identity as its token for this tenant names it (None: a token without claims)."""
        token = await self._clients.credential.get_token(ARM_SCOPE)
        parts = token.token.split(".")
        if len(parts) != 3:
            return None  # the sandbox's static token
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            return None
        return Principal(str(claims.get("tid", "")), str(claims.get("oid", "")), str(claims.get("appid", "")))
