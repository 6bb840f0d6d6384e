"""A Log Analytics workspace's link to an Automation account: Azure refuses to move a linked pair, so the link
is removed before the moves and made again once the moves it depends on ended, on the workspace where it
landed for the account where that landed (each moved, or not)."""

from __future__ import annotations

from typing import Protocol

from migration.azure.ports import HasInventory, HasResources
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, PlanRead, Regrouping, StepSpec, each
from migration.fixes.lookups import delete, exists, get, put
from migration.model import ResourceId
from migration.model.ids import name_of
from migration.model.plan import ChosenFix, PlanStep, StepKind


class ServiceAzure(HasResources, HasInventory, Protocol):
    """What these steps use: resources by id, and the inventory to see what moved."""


def _workspace_links(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Add) -> list[ChosenFix]:
    wanted = {i.lower() for i in fix.resource_ids}
    links = [r for r in facts.linked_services if r.id.lower() in wanted]
    for link in links:
        link_id = ResourceId.parse(link.id)
        workspace_id = str(link_id.parent)
        automation = str(link.properties.get("resourceId") or link.properties.get("writeAccessResourceId") or "")
        unlink = PlanStep(f"unlink_workspace:{link.id}".lower(), StepKind.UNLINK_WORKSPACE, link.resource_group,
                          args(link=link.id, link_name=link_id.name, workspace_name=name_of(workspace_id),
                               automation=automation, automation_name=name_of(automation),
                               group=link.resource_group, subscription=facts.source_subscription_id))
        add(unlink)
        new_workspace = ResourceId.parse(moves.relocated(workspace_id))
        new_link = f"{new_workspace}/linkedServices/{link_id.name}"
        add(PlanStep(f"relink_workspace:{new_link}".lower(), StepKind.RELINK_WORKSPACE, link.resource_group,
                     args(link=new_link, link_name=link_id.name, workspace_name=name_of(workspace_id),
                          automation=moves.relocated(automation), automation_name=name_of(automation),
                          group=new_workspace.resource_group, subscription=new_workspace.subscription,
                          scope=new_workspace, link_source=link.id, automation_source=moves.current(automation),
                          source_scope=workspace_id),
                     after=(unlink.key,), ended=moves.waits_for_moves(workspace_id, automation)))
    return [] if links else [fix]  # not what the bot read at plan time: left to the engineer



async def _link_place(azure: HasInventory, step: PlanStep) -> tuple[str, str]:
    """(link id, Automation account id) as things stand: each moved, or not."""
    moved = await exists(azure, str(ResourceId.parse(step.arg("link")).parent))
    link = step.arg("link") if moved or not step.arg("link_source") else step.arg("link_source")
    account = step.arg("automation")
    if step.arg("automation_source") and not await exists(azure, account):
        account = step.arg("automation_source")
    return link, account


async def _unlink(azure: ServiceAzure, step: PlanStep) -> None:
    await delete(azure, step.arg("link"))


async def _unlinked(azure: ServiceAzure, step: PlanStep) -> bool:
    return await get(azure, step.arg("link")) is None


async def _relink(azure: ServiceAzure, step: PlanStep) -> None:
    link, account = await _link_place(azure, step)
    await put(azure, link, location=None, properties={"resourceId": account})


async def _relinked(azure: ServiceAzure, step: PlanStep) -> bool:
    link_id, account = await _link_place(azure, step)
    link = await get(azure, link_id)
    return link is not None and str(link.properties.get("resourceId") or "").lower() == account.lower()



FAMILY = FixFamily(
    name="workspace_links",
    actions=("unlink_automation_workspace",),
    plan=each(_workspace_links),
    reads=frozenset({PlanRead.LINKED_SERVICES}),  # Resource Graph does not list them
    steps=(StepSpec(StepKind.UNLINK_WORKSPACE, _unlink, _unlinked, deletes="link", regrouping=Regrouping.ALL),
           StepSpec(StepKind.RELINK_WORKSPACE, _relink, _relinked, remakes="link")),
)
