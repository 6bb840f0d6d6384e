"""ARM ids as one value: its parts agree with azure-mgmt-core's own parser, the ids it makes read as ARM
writes them, and it keeps the casing it was given while comparing case-insensitively."""

from __future__ import annotations

import pytest
from azure.mgmt.core.tools import is_valid_resource_id, parse_resource_id

from migration.model import ResourceId, ScopeKind, group_of, name_of

SUB, TARGET = "aaaaaaaa-0000-4000-8000-000000000001", "aaaaaaaa-0000-4000-8000-000000000002"
GROUP = f"/subscriptions/{SUB}/resourceGroups/rg-Net"
VNET = f"{GROUP}/providers/Microsoft.Network/virtualNetworks/vnet-1"
SUBNET = f"{VNET}/subnets/default"
VM_LOCK = f"{GROUP}/providers/Microsoft.Compute/virtualMachines/vm-1/providers/Microsoft.Authorization/locks/keep"
ROLE = f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/acdd72a7"
IDS = [f"/subscriptions/{SUB}", GROUP, VNET, SUBNET, VM_LOCK, ROLE,
       f"{GROUP}/providers/Microsoft.Web/sites/app/slots/staging/hostNameBindings/www.example.com",
       f"{GROUP}/providers/Microsoft.Sql/servers/sql-1/databases/db-1"]


@pytest.mark.parametrize("text", IDS)
def test_the_parts_agree_with_azure_mgmt_core(text: str) -> None:
    rid = ResourceId.parse(text)
    theirs = parse_resource_id(text)
    assert rid.subscription == theirs["subscription"]
    assert rid.resource_group == theirs.get("resource_group", "")
    if rid.levels:
        assert rid.name == theirs["resource_name"]
        assert rid.levels[0][:2] == (theirs["namespace"], theirs["type"])
        assert rid.type.rsplit("/", 1)[-1] == theirs["resource_type"]
    assert str(rid) == text and is_valid_resource_id(text)


def test_what_it_is() -> None:
    assert [ResourceId.parse(t).kind for t in IDS[:3]] == [ScopeKind.SUBSCRIPTION, ScopeKind.GROUP, ScopeKind.RESOURCE]
    subnet = ResourceId.parse(SUBNET)
    assert (subnet.name, subnet.type, subnet.namespace) == ("default", "Microsoft.Network/virtualNetworks/subnets",
                                                            "Microsoft.Network")
    assert (subnet.parent_path, subnet.provider_path) == ("virtualNetworks/vnet-1",
                                                          "Microsoft.Network/virtualNetworks/vnet-1/subnets/default")
    assert not subnet.is_top_level and ResourceId.parse(VNET).is_top_level
    lock = ResourceId.parse(VM_LOCK)
    assert (lock.type, lock.name) == ("Microsoft.Authorization/locks", "keep")
    assert str(lock.parent) == f"{GROUP}/providers/Microsoft.Compute/virtualMachines/vm-1"
    assert ResourceId.parse(ROLE).kind is ScopeKind.RESOURCE and not ResourceId.parse(ROLE).resource_group


def test_related_ids_keep_the_casing_they_were_read_in() -> None:
    # Resource Graph writes some ids with "resourcegroups"; ARM ids are case-insensitive.
    read = ResourceId.parse(SUBNET.replace("resourceGroups", "resourcegroups"))
    assert str(read.parent) == VNET.replace("resourceGroups", "resourcegroups")
    assert str(read.group_scope) == GROUP.replace("resourceGroups", "resourcegroups")
    assert str(read.top_level) == str(read.parent) and str(read.subscription_scope) == f"/subscriptions/{SUB}"
    assert read == ResourceId.parse(SUBNET.upper()) and hash(read) == hash(ResourceId.parse(SUBNET))
    assert read.resource_group == "rg-Net"


def test_the_same_resource_in_another_group_and_a_child() -> None:
    moved = ResourceId.parse(SUBNET).in_group(ResourceId(TARGET, "rg-csp"))
    assert str(moved) == f"/subscriptions/{TARGET}/resourceGroups/rg-csp/providers/Microsoft.Network/" \
                         "virtualNetworks/vnet-1/subnets/default"
    lock = ResourceId(SUB).child("locks", "keep", namespace="Microsoft.Authorization")
    assert str(lock) == f"/subscriptions/{SUB}/providers/Microsoft.Authorization/locks/keep"
    assert ResourceId.parse(VNET).covers(ResourceId.parse(SUBNET))
    assert not ResourceId.parse(SUBNET).covers(ResourceId.parse(VNET))
    with pytest.raises(ValueError):
        ResourceId(SUB).group_scope  # noqa: B018


@pytest.mark.parametrize("text", ["", "/", "subscriptions", "/providers/Microsoft.Management/managementGroups/mg",
                                  f"{GROUP}/providers", f"{GROUP}/virtualNetworks/vnet-1", f"{VNET}/subnets",
                                  f"/subscriptions/{SUB}/resourceGroups"])
def test_what_is_no_id_is_refused(text: str) -> None:
    assert not ResourceId.is_valid(text)
    with pytest.raises(ValueError):
        ResourceId.parse(text)
    assert name_of(text) == ""


def test_the_group_of_an_id_is_read_from_its_head_as_written() -> None:
    assert group_of(SUBNET.replace("resourceGroups", "resourcegroups")) == "rg-Net"
    assert group_of(f"{GROUP}/virtualNetworks/vnet-1") == "rg-Net"  # what follows the group is not read
    assert [group_of(t) for t in ("", "/", ROLE, f"/subscriptions/{SUB}", f"/subscriptions/{SUB}/resourceGroups",
                                  "/providers/Microsoft.Management/managementGroups/mg")] == [""] * 6
