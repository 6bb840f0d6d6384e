"""Where a follow-through step acts: where its resources are when it runs, not where the plan hoped.

A step after the moves records each resource it acts on at its id after the moves (`X`) and where it is
when that move did not happen (`X_source`: in the source, after the in-subscription fixes). When it runs, or
is checked after a restart, each anchor is looked up: at its moved id when that exists, else where it
stayed, with the arguments that go with it (its group, its subscription, the key it had: each step kind's
`anchors`). So something removed before a move that then failed is put back on the resource where it still is.
"""

from __future__ import annotations

from migration.azure.ports import HasInventory
from migration.fixes.families import SPECS
from migration.fixes.lookups import exists
from migration.model.plan import PlanStep


async def placed(azure: HasInventory, step: PlanStep) -> PlanStep:
    """The step with each anchor where it is now (unchanged for a step without anchors)."""
    values = dict(step.args)
    changed = False
    for anchor, *companions in SPECS[step.kind].anchors:
        moved, stayed = values.get(anchor, ""), values.get(anchor + "_source", "")
        if not stayed or stayed.lower() == moved.lower() or await exists(azure, moved):
            continue
        for name in (anchor, *companions):
            if name + "_source" in values:
                values[name] = values[name + "_source"]
        changed = True
    if not changed:
        return step
    return PlanStep(step.key, step.kind, step.group, tuple(values.items()), step.after, step.ended)
