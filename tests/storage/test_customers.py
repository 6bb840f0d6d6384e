"""The customer registry on both backends: records round-trip, additions are insert-only, and two admins
changing one customer at once both land (compare-and-swap, retried)."""

from __future__ import annotations

import asyncio
from collections.abc import Collection

import pytest

from migration.application.customers import CustomerRegistry, FileEntry, RegistryError
from migration.model import Person
from migration.model.customers import Role
from migration.model.store import DocumentStore
from storage.customers import StoredCustomers

TENANT = "a1a1a1a1-0000-4000-8000-0000000000a1"
ADMIN = Person("00000000-0000-0000-0000-00000000ad01", "Nestor Wilke")


class NoGroups:
    async def member_of(self, user_id: str, group_ids: Collection[str]) -> frozenset[str]:
        return frozenset()


class Domains:
    async def resolve(self, tenant: str) -> str:
        return TENANT if tenant in (TENANT, "alpha.onmicrosoft.com") else "b2b2b2b2-0000-4000-8000-0000000000b2"


def _registry(store: DocumentStore) -> CustomerRegistry:
    return CustomerRegistry(store=StoredCustomers(store), membership=NoGroups(), resolver=Domains(),
                            admins=frozenset({ADMIN.id}))


async def test_a_customer_round_trips_with_its_grants_and_changes(store: DocumentStore) -> None:
    registry = _registry(store)
    await registry.add("alpha.onmicrosoft.com", "Alpha  Ltd", by=ADMIN)
    await registry.grant(TENANT, Role.ENGINEER, "00000000-0000-0000-0000-00000000A001", by=ADMIN)
    found = await registry.find("ALPHA.onmicrosoft.com")
    assert found is not None and found.name == "Alpha Ltd" and found.domains == ("alpha.onmicrosoft.com",)
    assert found.principals(Role.ENGINEER) == ("00000000-0000-0000-0000-00000000a001",)
    assert [c.what for c in found.changes] == ["registered as Alpha Ltd",
                                                "granted engineer to 00000000-0000-0000-0000-00000000a001"]
    assert all(c.by_name == "Nestor Wilke" for c in found.changes)
    with pytest.raises(RegistryError, match="already registered"):
        await registry.add(TENANT, "Again", by=ADMIN)


async def test_two_admins_granting_at_once_both_land(store: DocumentStore) -> None:
    registry = _registry(store)
    await registry.add(TENANT, "Alpha", by=ADMIN)
    people = [f"00000000-0000-0000-0000-0000000000{n:02d}" for n in range(6)]
    await asyncio.gather(*(registry.grant(TENANT, Role.APPROVER, p, by=ADMIN) for p in people))
    found = await registry.find(TENANT)
    assert found is not None and sorted(found.principals(Role.APPROVER)) == people


async def test_the_file_sets_grants_and_records_itself_once(store: DocumentStore) -> None:
    registry = _registry(store)
    entry = FileEntry("alpha.onmicrosoft.com", "Alpha", ("00000000-0000-0000-0000-00000000a001",))
    await registry.load_file([entry])
    await registry.load_file([entry])  # a restart with the same file changes nothing
    found = await registry.find(TENANT)
    assert found is not None and [c.by_name for c in found.changes] == ["CUSTOMERS_FILE"]
    assert await registry.roles("00000000-0000-0000-0000-00000000A001", found) == {Role.ENGINEER}
