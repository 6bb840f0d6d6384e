"""Subscription tags: the tags set on the source subscription itself are a setting no move of resource groups
carries (Microsoft's move page says so), so they are read at plan time and merged into the target
subscription's tags (a tag of the same name takes the source's value; the target's others stay), once every
move succeeded: the subscription's settings follow the workload."""

from __future__ import annotations

import json

from migration.azure.ports import HasTags
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.families.group_tags import tag_pairs
from migration.fixes.family import Add, FixFamily, Specs, Steps, StepSpec
from migration.model.plan import PlanStep, StepKind


def _follow_through(facts: PlanFacts, moves: Relocation, steps: Steps, specs: Specs, add: Add) -> None:
    tags = dict(facts.subscription_tags)
    if tags:
        target = f"/subscriptions/{facts.target_subscription_id}"
        add(PlanStep(f"tag_subscription:{target}".lower(), StepKind.TAG_SUBSCRIPTION, "",
                     args(scope=target, tags=json.dumps(tags, sort_keys=True), count=len(tags),
                          subscription=facts.target_subscription_id,
                          source_subscription=facts.source_subscription_id), after=moves.every_move))


async def _tag(azure: HasTags, step: PlanStep) -> None:
    await (await azure.tags.begin_merge_tags(step.arg("scope"), tags=json.loads(step.arg("tags")))).wait()


async def _tagged(azure: HasTags, step: PlanStep) -> bool:
    found = await azure.tags.get_tags(step.arg("scope"))
    return all(found.get(k) == v for k, v in json.loads(step.arg("tags")).items())


FAMILY = FixFamily(
    name="subscription_tags",
    follow_through=_follow_through,
    steps=(StepSpec(StepKind.TAG_SUBSCRIPTION, _tag, _tagged, command_values=tag_pairs),),
)
