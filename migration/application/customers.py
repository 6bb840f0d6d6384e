"""The customer registry: which customers the partner serves, and who of the partner's people may act for each.

Partner admins change it in chat; operators load it from CUSTOMERS_FILE at start-up. A grant names a user or
an Entra security group by object id; a group's members are found through Microsoft Graph (the `Membership`
port), so a person's roles for a customer are the grants naming them or a group they are in. While the
registry is empty the legacy settings decide (ENGINEER_IDS / APPROVER_IDS for every tenant).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from migration.application.ports import Clock, utc_now
from migration.model import NotFound, Person
from migration.model.customers import Change, Customer, Grant, Role
from migration.model.store import ConcurrencyError

FILE_AUTHOR = Person("file", "CUSTOMERS_FILE")
_RETRIES = 10  # compare-and-swap attempts: each round of a race has a winner


class CustomerStore(Protocol):
    """One record per customer tenant, compare-and-swap on its etag (`storage/customers.py`)."""

    async def get(self, tenant: str) -> tuple[Customer, str] | None: ...

    async def list(self) -> list[Customer]: ...

    async def put(self, customer: Customer, *, etag: str) -> None:
        """`etag=""`: only if absent; else only if unchanged. ConcurrencyError when the condition fails."""


class Membership(Protocol):
    """Which of `group_ids` the user is a member of, transitively (Graph's checkMemberGroups)."""

    async def member_of(self, user_id: str, group_ids: Collection[str]) -> frozenset[str]: ...


class TenantResolver(Protocol):
    async def resolve(self, tenant: str) -> str:
        """A verified domain or tenant id -> the tenant id (NotFound when Entra knows no such tenant)."""


class RegistryError(ValueError):
    """A change the registry refuses; the message says why in the admin's words."""


@dataclass(frozen=True, slots=True)
class FileEntry:
    """One customer of CUSTOMERS_FILE, as settings.py read it."""

    tenant: str  # a tenant id or a verified domain
    name: str
    engineers: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    subscriptions: tuple[str, ...] = ()


class CustomerRegistry:
    def __init__(self, *, store: CustomerStore, membership: Membership, resolver: TenantResolver,
                 admins: frozenset[str], clock: Clock = utc_now) -> None:
        self._store = store
        self._membership = membership
        self._resolver = resolver
        self._admins = admins
        self._clock = clock

    # ------------------------------------------------------------------ reading

    async def everyone(self) -> list[Customer]:
        """Every registered customer, by name."""
        return sorted(await self._store.list(), key=lambda c: c.name.lower())

    async def active(self) -> bool:
        """Customers are registered: they, not the legacy settings, say who acts for which tenant."""
        return bool(await self._store.list())

    async def find(self, tenant: str) -> Customer | None:
        """The customer a tenant id or verified domain names, without asking Entra."""
        key = tenant.strip().lower()
        stored = await self._store.get(key)
        if stored is not None:
            return stored[0]
        return next((c for c in await self._store.list() if c.names(key)), None)

    async def roles(self, person_id: str | None, customer: Customer) -> frozenset[Role]:
        """What the person may do for the customer: grants naming them, or a group they are a member of."""
        if not person_id:
            return frozenset()
        me = person_id.lower()
        direct = {g.role for g in customer.grants if g.principal == me}
        others = {g.principal for g in customer.grants if g.role not in direct and g.principal != me}
        groups = await self._membership.member_of(me, others) if others else frozenset()
        return frozenset(direct | {g.role for g in customer.grants if g.principal in groups})

    async def customers_of(self, person_id: str | None, role: Role) -> list[Customer]:
        return [c for c in await self.everyone() if role in await self.roles(person_id, c)]

    async def is_admin(self, person_id: str | None) -> bool:
        """A partner admin (PARTNER_ADMIN_IDS names them, or a group they are a member of)."""
        if not person_id or not self._admins:
            return False
        me = person_id.lower()
        return me in self._admins or bool(await self._membership.member_of(me, self._admins - {me}))

    @property
    def admins_configured(self) -> bool:
        return bool(self._admins)

    # ------------------------------------------------------------------ changing

    async def add(self, tenant: str, name: str, *, by: Person) -> Customer:
        name = " ".join(name.split())
        if not name:
            raise RegistryError("Give the customer a name: `customer add <tenant> <name>`.")
        tenant_id = (await self._resolver.resolve(tenant)).lower()
        domains = () if tenant.strip().lower() == tenant_id else (tenant.strip().lower(),)
        customer = Customer(tenant_id, name[:120], domains,
                            changes=(self._change(by, f"registered as {name[:120]}"),))
        try:
            await self._store.put(customer, etag="")
        except ConcurrencyError:
            raise RegistryError(f"{tenant_id} is already registered: `customer show {tenant_id}`.") from None
        return customer

    async def grant(self, tenant: str, role: Role, principal: str, *, by: Person) -> Customer:
        grant = Grant(role, principal.lower())
        return await self._change_record(tenant, lambda c: c.granted(grant, self._change(
            by, f"granted {role.value} to {grant.principal}")))

    async def revoke(self, tenant: str, role: Role, principal: str, *, by: Person) -> Customer:
        grant = Grant(role, principal.lower())
        return await self._change_record(tenant, lambda c: c.revoked(grant, self._change(
            by, f"revoked {role.value} from {grant.principal}")))

    async def scope(self, tenant: str, subscriptions: Sequence[str], *, by: Person) -> Customer:
        """The customer's subscriptions in scope: these ids, or every one the bot can read when empty."""
        ids = tuple(sorted({s.lower() for s in subscriptions}))
        what = "set the subscriptions in scope to " + (", ".join(ids) if ids else "all the bot can read")
        return await self._change_record(tenant, lambda c: c.scoped(ids, self._change(by, what)))

    async def load_file(self, entries: Sequence[FileEntry]) -> None:
        """CUSTOMERS_FILE at start-up: each customer as the file says (its grants replaced), recorded as a change
        by the file when anything differs. Customers only registered in chat are kept."""
        for entry in entries:
            try:
                tenant_id = (await self._resolver.resolve(entry.tenant)).lower()
            except NotFound:
                raise RegistryError(f"CUSTOMERS_FILE: Entra knows no tenant {entry.tenant} (customer "
                                    f"{entry.name}); correct the file or remove the customer") from None
            domains = () if entry.tenant.lower() == tenant_id else (entry.tenant.lower(),)
            grants = (*(Grant(Role.ENGINEER, e) for e in entry.engineers),
                      *(Grant(Role.APPROVER, a) for a in entry.approvers))
            for _ in range(_RETRIES):
                stored = await self._store.get(tenant_id)
                old, etag = stored if stored else (Customer(tenant_id, entry.name), "")
                new = replace(old, name=entry.name, domains=tuple(sorted({*old.domains, *domains})),
                              subscriptions=entry.subscriptions, grants=grants)
                if stored is not None and new == old:
                    break
                new = replace(new, changes=(*old.changes, self._change(FILE_AUTHOR, "loaded from CUSTOMERS_FILE")))
                try:
                    await self._store.put(new, etag=etag)
                    break
                except ConcurrencyError:
                    continue

    async def _change_record(self, tenant: str, change: _Edit) -> Customer:
        customer = await self.find(tenant)
        if customer is None:
            raise RegistryError(f"No customer {tenant} is registered: `customer add {tenant} <name>` first.")
        for _ in range(_RETRIES):
            stored = await self._store.get(customer.tenant)
            if stored is None:
                break
            new = change(stored[0])
            if new == stored[0]:
                return new
            try:
                await self._store.put(new, etag=stored[1])
                return new
            except ConcurrencyError:
                continue
        raise RegistryError("The customer's record changed while saving; nothing was changed. Try again.")

    def _change(self, by: Person, what: str) -> Change:
        return Change(by.id, by.name, self._clock(), what)


class _Edit(Protocol):
    def __call__(self, customer: Customer, /) -> Customer: ...
