"""Subscription tags planned from what was read at plan time (pure: no Azure)."""

from __future__ import annotations

from migration.fixes.families import command
from migration.fixes.plan import PlanFacts, plan_fixes
from migration.model import GroupMove
from migration.model.plan import StepKind

S, T = "5050aaaa-0000-4000-8000-000000000001", "5050aaaa-0000-4000-8000-000000000002"
WEB = GroupMove("rg-web", f"/subscriptions/{T}/resourceGroups/rg-web", "westeurope", ())


def _tagging(**tags: str) -> list:
    facts = PlanFacts(S, T, (WEB,), subscription_tags=tags, plan_id="R1")
    return [s for s in plan_fixes(facts, []).steps if s.kind is StepKind.TAG_SUBSCRIPTION]


def test_a_subscription_without_tags_plans_no_tag_step():
    assert _tagging() == []


def test_the_source_subscriptions_tags_go_to_the_target_subscription_once_every_move_succeeded():
    [step] = _tagging(env="prod", owner="=HYPERLINK(\"https://x\")")
    assert (step.phase, step.group, step.after) == ("after", "", ("move:rg-web",))
    assert step.text == f"Put the 2 tags of the source subscription on the target subscription {T}"
    # One argument a tag, quoted: a value from the customer's tenant never becomes shell syntax.
    assert command(step).posix() == (f"az tag update --resource-id /subscriptions/{T} --operation Merge --tags "
                                     "env=prod 'owner==HYPERLINK(\"https://x\")'")
