"""Group tags: tags do not travel with a move of resources, so each source group's tags are copied to its
target group once its move succeeded."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from migration.azure.ports import HasGroups
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, Specs, Steps, StepSpec
from migration.model import ResourceId
from migration.model.plan import PlanStep, StepKind


def _follow_through(facts: PlanFacts, moves: Relocation, steps: Steps, specs: Specs, add: Add) -> None:
    for g in facts.groups:
        tags = dict(facts.group_tags.get(g.source_group, {}))
        if tags:
            target = ResourceId.parse(g.target_group_id)
            add(PlanStep(f"tag_group:{g.target_group_id}".lower(), StepKind.TAG_GROUP, g.source_group,
                         args(group=g.target_group_id, tags=json.dumps(tags, sort_keys=True),
                              source_name=g.source_group, target_name=target.resource_group,
                              subscription=target.subscription),
                         after=(f"move:{g.source_group}",)))


async def _tag(azure: HasGroups, step: PlanStep) -> None:
    group = ResourceId.parse(step.arg("group"))
    await azure.groups.update_tags(group.subscription, group.resource_group, tags=json.loads(step.arg("tags") or "{}"))


async def _tagged(azure: HasGroups, step: PlanStep) -> bool:
    group = ResourceId.parse(step.arg("group"))
    groups = await azure.groups.list_groups(group.subscription)
    found = next((g for g in groups if g.name.lower() == group.resource_group.lower()), None)
    wanted = json.loads(step.arg("tags") or "{}")
    return found is not None and all(found.tags.get(k) == v for k, v in wanted.items())


def tag_pairs(step: PlanStep) -> Mapping[str, Any]:
    """The step's tags as `key=value` arguments (its command's `{*tag_pairs}`)."""
    return {"tag_pairs": [f"{k}={v}" for k, v in sorted(json.loads(step.arg("tags")).items())]} \
        if step.arg("tags") else {}


FAMILY = FixFamily(
    name="group_tags",
    follow_through=_follow_through,
    steps=(StepSpec(StepKind.TAG_GROUP, _tag, _tagged, command_values=tag_pairs),),
)
