"""test-small plus the facts the follow-through needs: principals of the Fabrikam tenant (one deleted), a
custom role assignable only in the source subscription, and role assignments made on moved groups and
resources."""

from __future__ import annotations

import copy
from typing import Any

from sandbox.state import load_scenario
from tests.plugins.sandbox import FABRIKAM, PAYG, arm_id, group_id

ALICE = "a11ce000-0000-4000-8000-00000000a11c"  # a user
OPS = "0b500000-0000-4000-8000-0000000000b5"  # a group
BOB = "b0b00000-0000-4000-8000-000000000b0b"  # a user since deleted
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
APP_OPERATOR = "f00dcafe-0000-4000-8000-00000000c0de"  # custom role, assignable in PAYG only
STAPP1 = arm_id(PAYG, "rg-app", "Microsoft.Storage/storageAccounts/stapp1")
CONDITION = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name] StringEquals 'logs'"


def rbac_scenario() -> dict[str, Any]:
    data = copy.deepcopy(load_scenario("test-small"))
    fabrikam = next(t for t in data["tenants"] if t["id"] == FABRIKAM)
    fabrikam["principals"] = [
        {"id": ALICE, "type": "User", "displayName": "Alice"},
        {"id": OPS, "type": "Group", "displayName": "Operations"},
        {"id": BOB, "type": "User", "displayName": "Bob", "deleted": True},
    ]
    fabrikam["roleDefinitions"] = [{
        "id": APP_OPERATOR, "roleName": "App Operator", "actions": ["Microsoft.Web/sites/*"],
        "assignableScopes": [f"/subscriptions/{PAYG}"],
    }]
    fabrikam["roleAssignments"] = [
        {"principalId": ALICE, "role": READER, "scope": group_id(PAYG, "rg-app"), "principalType": "User",
         "description": "Auditors read the app group"},
        {"principalId": OPS, "role": CONTRIBUTOR, "scope": STAPP1, "principalType": "Group",
         "condition": CONDITION, "description": "Ops write the logs container"},
        {"principalId": ALICE, "role": APP_OPERATOR, "scope": group_id(PAYG, "rg-web"), "principalType": "User"},
        {"principalId": BOB, "role": READER, "scope": group_id(PAYG, "rg-web"), "principalType": "User"},
        {"principalId": ALICE, "role": READER, "scope": f"/subscriptions/{PAYG}", "principalType": "User"},
    ]
    return data
