"""Budgets: a budget made on the source subscription (Microsoft.Consumption/budgets) is a setting of the
subscription that no move carries, so each is read at plan time and made again, under its own name, on the
target subscription: amount, time grain, period, filter and its alert rules (an alert's action groups at their
ids after the moves). Azure refuses a name the target already uses for a budget of its own; that step fails
with Azure's reason and its command, and nothing else stops. The step waits for every move (the settings follow
the workload)."""

from __future__ import annotations

import json
from typing import Any

from migration.azure.ports import HasSettings
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, Specs, Steps, StepSpec
from migration.fixes.lookups import setting
from migration.model import Resource
from migration.model.plan import PlanStep, StepKind

BUDGETS = "Microsoft.Consumption/budgets"
_KEPT = ("category", "amount", "timeGrain", "timePeriod", "filter", "notifications")  # not the spend read-outs


def _follow_through(facts: PlanFacts, moves: Relocation, steps: Steps, specs: Specs, add: Add) -> None:
    for budget in facts.budgets:
        properties = _carried(budget, moves)
        target = f"/subscriptions/{facts.target_subscription_id}/providers/{BUDGETS}/{budget.name}"
        add(PlanStep(f"create_budget:{target}".lower(), StepKind.CREATE_BUDGET, "",
                     args(id=target, name=budget.name, source=budget.id, amount=properties.get("amount"),
                          time_grain=properties.get("timeGrain"),
                          alerts=len(properties.get("notifications") or {}),
                          properties=json.dumps(properties, sort_keys=True),
                          body=json.dumps({"properties": properties}, sort_keys=True)),
                     after=moves.every_move))


def _carried(budget: Resource, moves: Relocation) -> dict[str, Any]:
    """What the new budget keeps of the old: its settings, each alert's action groups where they will be."""
    out = {k: budget.properties[k] for k in _KEPT if k in budget.properties}
    notes = {}
    for key, note in (out.get("notifications") or {}).items():
        moved = [moves.relocated(g) for g in note.get("contactGroups") or ()]
        notes[key] = {**note, "contactGroups": moved} if moved else dict(note)
    if notes:
        out["notifications"] = notes
    return out


async def _create(azure: HasSettings, step: PlanStep) -> None:
    await azure.settings.create_setting(step.arg("id"), properties=json.loads(step.arg("properties")))


async def _created(azure: HasSettings, step: PlanStep) -> bool:
    found = await setting(azure, step.arg("id"))
    wanted = json.loads(step.arg("properties"))
    # The target's own budget of that name (another amount or grain) is not this step's: it is not done.
    return found is not None and all(found.properties.get(k) == wanted.get(k)
                                     for k in ("amount", "timeGrain", "category"))


FAMILY = FixFamily(
    name="budgets",
    follow_through=_follow_through,
    steps=(StepSpec(StepKind.CREATE_BUDGET, _create, _created),),
)
