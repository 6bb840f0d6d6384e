"""The welcome / help card: what the bot is for, its commands and the four steps of a migration."""

from __future__ import annotations

from typing import Any

from adaptive_cards import types

from cards import _kit as k
from migration.assessment.catalog import load_catalog

SANDBOX_TENANT = "contoso.onmicrosoft.com"

COMMANDS: tuple[tuple[str, str], ...] = (
    ("help", "Show this card."),
    ("attach TENANT", "Check that we can act in a customer's tenant."),
    ("assess [TENANT SUBSCRIPTION]", "Find what can move to CSP and what blocks it."),
    ("move [TENANT SOURCE TARGET [GROUP,...]]", "Ask to move resource groups to a CSP subscription."),
    ("status [REQUEST-ID]", "Show how a move request is going."),
    ("report [REQUEST-ID]", "Get a move's full report to download (every step, with the commands)."),
    ("history", "List recent move requests."),
    ("cancel", "Stop the current question, or cancel your open request."),
    ("approvals here", "Send approval cards to this chat or channel."),
    ("audit export REQUEST-ID|TENANT-ID", "Approvers: the audit trail as a file anyone can check."),
)

# Step 1 as Microsoft's process has it: a reseller relationship the customer's global administrator accepts
# (https://learn.microsoft.com/partner-center/customers/request-a-relationship-with-a-customer), GDAP roles
# asked for apart from it (https://learn.microsoft.com/partner-center/customers/gdap-introduction); neither
# gives access to the customer's Azure subscriptions, which the bot's identity needs on its own.
STEPS: tuple[str, ...] = (
    "**Attach the tenant.** The customer's global administrator accepts your reseller relationship request "
    "(Partner Center; GDAP admin roles are requested apart from it), and gives the bot's identity access to the "
    "subscriptions: attach checks that access.",
    "**Assess.** I read every resource in the subscription and say what can move.",
    "**Find classic resources.** They must be migrated to Azure Resource Manager first.",
    "**Move with approval.** An approver confirms, then I move the groups side by side.",
)


def help_card(*, sandbox: bool, facts_source: str | None = None) -> dict[str, Any]:
    """`facts_source`: where the move-support facts come from (default: the shipped catalog's source)."""
    facts_source = load_catalog().described() if facts_source is None else facts_source
    body: list[k.Element] = [
        k.heading("CSP migration bot"),
        k.text(
            "I move a customer's Azure resources from Pay-As-You-Go, Open or EA into an Azure CSP subscription.",
            spacing=types.Spacing.SMALL,
        ),
    ]
    if sandbox:
        body.append(
            k.note(
                f"Sandbox mode: I am running on the built-in sandbox tenant {SANDBOX_TENANT}. No real Azure is touched."
            )
        )
    body += [
        k.subheading("Steps"),
        k.numbered(STEPS),
        k.subheading("Commands"),
        k.facts(COMMANDS),
        k.text("Anything I need and you leave out, I ask for.", subtle=True, small=True),
    ]
    if facts_source:
        body.append(k.text(f"Move support: {k.untrusted(facts_source)}. Azure's dry run has the last word.",
                           subtle=True, small=True))
    actions = [
        k.execute("Assess a subscription", "assess.start", style=types.ActionStyle.POSITIVE),
        k.execute("Attach a tenant", "attach.start"),
    ]
    return k.card(body, actions, fallback_text="CSP migration bot: type help, attach, assess or move.")
