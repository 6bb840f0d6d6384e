"""Resource providers: each namespace the moved resources need, registered in the target before the moves
(a registration writes in the target, so no lock of the source is in its way)."""

from __future__ import annotations

from migration.azure.ports import HasProviders
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, StepSpec, each
from migration.model import ResourceId
from migration.model.plan import ChosenFix, PlanStep, StepKind


def _providers(facts: PlanFacts, moves: Relocation, fix: ChosenFix, add: Add) -> list[ChosenFix]:
    """Register in the target each provider the fix's resources (or its command) name."""
    named = {ResourceId.parse(i).top_level.namespace for i in fix.resource_ids if ResourceId.is_valid(i)} - {""}
    for ns in sorted(named or {fix.command.option("--namespace") or ""} - {""}):
        add(PlanStep(f"register_provider:{ns.lower()}", StepKind.REGISTER_PROVIDER, "",
                     args(namespace=ns, subscription=facts.target_subscription_id)))
    return []


async def _register(azure: HasProviders, step: PlanStep) -> None:
    await azure.providers.register_provider(step.arg("subscription"), step.arg("namespace"))


async def _registered(azure: HasProviders, step: PlanStep) -> bool:
    providers = await azure.providers.list_providers(step.arg("subscription"))
    return any(p.namespace.lower() == step.arg("namespace").lower() and p.registered for p in providers)


FAMILY = FixFamily(
    name="providers",
    actions=("register_provider",),
    plan=each(_providers),
    steps=(StepSpec(StepKind.REGISTER_PROVIDER, _register, _registered, under_locks=False,
                    lasting=True),),
)
