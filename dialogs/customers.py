"""The customer registry in chat, for partner admins (the route's guard): `customers`,
`customer add <tenant> <name>`, `customer show <tenant>`, `customer grant|revoke <tenant> engineer|approver <id>`,
`customer scope <tenant> <subscription id>...|all`.
Bad input gets the command's usage and changes nothing."""

from __future__ import annotations

from bot.access import person_of
from bot.commands import Command
from bot.port import Turn
from cards.customers import customer_card, customers_card
from dialogs.inputs import GUID, subscription_problem
from migration.application.customers import CustomerRegistry, RegistryError
from migration.model import ArmError, NotFound
from migration.model.customers import Role

USAGE = ("Usage: `customers`, `customer add <tenant id or domain> <name>`, `customer show <tenant>`, "
         "`customer grant <tenant> engineer|approver <object id or group id>`, `customer revoke ...` (the same), "
         "`customer scope <tenant> <subscription id>...|all`. "
         "Nothing was changed.")


class CustomersFlow:
    def __init__(self, *, registry: CustomerRegistry) -> None:
        self._registry = registry

    async def list_command(self, turn: Turn, command: Command) -> None:
        await turn.reply_card(customers_card(await self._registry.everyone()))

    async def customer_command(self, turn: Turn, command: Command) -> None:
        verb, args = (command.args[0].lower(), command.args[1:]) if command.args else ("", ())
        try:
            if verb == "add" and len(args) >= 2:
                customer = await self._registry.add(args[0], " ".join(args[1:]), by=person_of(turn.caller))
                await turn.reply_card(customer_card(customer, note="Registered. Nobody may act for it until you "
                                                                   "grant engineers and approvers."))
            elif verb == "show" and len(args) == 1:
                found = await self._registry.find(args[0])
                if found is None:
                    await turn.reply(f"No customer `{args[0][:60]}` is registered. Type `customers` for the list.")
                    return
                await turn.reply_card(customer_card(found))
            elif verb in ("grant", "revoke") and len(args) == 3:
                await self._grant(turn, verb, *args)
            elif verb == "scope" and len(args) >= 2:
                await self._scope(turn, args[0], args[1:])
            else:
                await turn.reply(USAGE)
        except RegistryError as refused:
            await turn.reply(f"{refused} Nothing was changed.")
        except NotFound:
            await turn.reply(f"Entra knows no tenant `{args[0][:60]}`: check its tenant id or verified domain. "
                             "Nothing was changed.")
        except ArmError as error:
            await turn.reply(f"I could not look the tenant up ({error.code}). Nothing was changed; try again.")

    async def _scope(self, turn: Turn, tenant: str, ids: tuple[str, ...]) -> None:
        everything = len(ids) == 1 and ids[0].lower() == "all"
        if not everything and (problem := next((p for s in ids if (p := subscription_problem(s))), None)):
            await turn.reply(f"{problem} {USAGE}")
            return
        customer = await self._registry.scope(tenant, () if everything else ids, by=person_of(turn.caller))
        note = "Every subscription the bot can read is in scope." if everything else \
            f"{len(customer.subscriptions)} subscription(s) in scope; any other is refused."
        await turn.reply_card(customer_card(customer, note=note))

    async def _grant(self, turn: Turn, verb: str, tenant: str, role_name: str, principal: str) -> None:
        role = next((r for r in Role if r.value == role_name.lower()), None)
        if role is None or not GUID.match(principal):
            await turn.reply(USAGE)
            return
        change = self._registry.grant if verb == "grant" else self._registry.revoke
        customer = await change(tenant, role, principal, by=person_of(turn.caller))
        done = "granted to" if verb == "grant" else "revoked from"
        await turn.reply_card(customer_card(customer, note=f"{role.value.capitalize()} {done} {principal.lower()}."))
