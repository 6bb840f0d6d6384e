"""Carrying out one step of a move plan's fixes or follow-through in Azure, and finding out whether a step
that was started before a crash already took effect (so a resumed plan never does a step twice).

Every step is one or a few ARM calls through the customer's tenant client, written by its fix family
(`migration.fixes.families`) so that a second run after a crash finds the work done (`already_done`)
instead of repeating it. A follow-through step acts where its resources are when it runs (`places`).
"""

from __future__ import annotations

from typing import Protocol

from migration.azure.ports import (
    HasAuthorization,
    HasCompute,
    HasGroups,
    HasInventory,
    HasJobs,
    HasLocks,
    HasMoves,
    HasNetwork,
    HasProviders,
    HasResources,
    HasWeb,
)
from migration.fixes.families import SPECS
from migration.fixes.places import placed
from migration.model.plan import PlanStep


class FixAzure(HasLocks, HasProviders, HasMoves, HasInventory, HasGroups, HasNetwork, HasAuthorization,
               HasResources, HasJobs, HasCompute, HasWeb, Protocol):
    """Every family a fix step may use (each step's own function asks for its own)."""


async def carry_out(azure: FixAzure, step: PlanStep) -> None:
    """Do the step in Azure. Raises `ArmError` (the step failed) or `TenantAccessDenied` (wait for access)."""
    step = await placed(azure, step)
    await SPECS[step.kind].carry(azure, step)


async def already_done(azure: FixAzure, step: PlanStep) -> bool:
    """For a step that was started but not recorded as ended (the process died): did it take effect?"""
    step = await placed(azure, step)
    return await SPECS[step.kind].done(azure, step)
