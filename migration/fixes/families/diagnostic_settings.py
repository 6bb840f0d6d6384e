"""The Activity Log's export: a diagnostic setting made on the source subscription (Microsoft.Insights
diagnosticSettings at subscription scope) is a setting of the subscription that no move carries, so each is
read at plan time and made again, under its own name, on the target subscription, with the same log categories
and sent where the source's goes: to the workspace's (storage account's, event hub namespace's) new id when it
moves with the plan, else where it is; after every move (the settings follow the workload). A setting of that
name the target already has is left as it is: the step fails with the reason and its command, and nothing
else stops."""

from __future__ import annotations

import json
from typing import Any

from migration.azure.ports import HasSettings
from migration.fixes import lookups
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, Specs, Steps, StepSpec
from migration.model import ArmError, ArmErrorDetail, Resource, ResourceId
from migration.model.plan import PlanStep, StepKind

DIAGNOSTIC_SETTINGS = "Microsoft.Insights/diagnosticSettings"
_DESTINATIONS = ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId", "marketplacePartnerId")
_KEPT = (*_DESTINATIONS, "eventHubName", "logs")


def _follow_through(facts: PlanFacts, moves: Relocation, steps: Steps, specs: Specs, add: Add) -> None:
    for setting in facts.diagnostic_settings:
        properties = _carried(setting, moves)
        target = f"/subscriptions/{facts.target_subscription_id}/providers/{DIAGNOSTIC_SETTINGS}/{setting.name}"
        first = next((properties[k] for k in _DESTINATIONS if properties.get(k)), "")
        add(PlanStep(f"create_diagnostic_setting:{target}".lower(), StepKind.CREATE_DIAGNOSTIC_SETTING, "",
                     args(id=target, name=setting.name, source=setting.id,
                          destination=ResourceId.parse(first).name if ResourceId.is_valid(first) else first,
                          categories=", ".join(str(x.get("category")) for x in properties.get("logs") or ()
                                               if x.get("enabled")),
                          properties=json.dumps(properties, sort_keys=True),
                          body=json.dumps({"properties": properties}, sort_keys=True)),
                     after=moves.every_move))  # the workspace's new id among them


def _carried(setting: Resource, moves: Relocation) -> dict[str, Any]:
    """The setting as the target's: its destinations where they will be (an event hub's rule id follows its
    namespace), its categories as they are."""
    out = {k: setting.properties[k] for k in _KEPT if k in setting.properties}
    for key in _DESTINATIONS[:3]:
        if out.get(key) and ResourceId.is_valid(str(out[key])):
            out[key] = moves.relocated(str(out[key]))
    return out


async def _create(azure: HasSettings, step: PlanStep) -> None:
    # The target's own setting of that name: replacing it would lose where it sends.
    if await lookups.setting(azure, step.arg("id")) is not None:
        raise ArmError(409, ArmErrorDetail(
            code="DiagnosticSettingExists",
            message=f"The target subscription already has a diagnostic setting named '{step.arg('name')}' that "
                    "sends elsewhere; it is left as it is."))
    await azure.settings.create_setting(step.arg("id"), properties=json.loads(step.arg("properties")))


async def _created(azure: HasSettings, step: PlanStep) -> bool:
    found = await lookups.setting(azure, step.arg("id"))
    wanted = json.loads(step.arg("properties"))
    return found is not None and all(str(found.properties.get(k) or "").lower() == str(wanted.get(k) or "").lower()
                                     for k in _DESTINATIONS)


FAMILY = FixFamily(
    name="diagnostic_settings",
    follow_through=_follow_through,
    steps=(StepSpec(StepKind.CREATE_DIAGNOSTIC_SETTING, _create, _created),),
)
