"""Microsoft Defender for Cloud: the plans (Microsoft.Security/pricings) turned on in the source subscription
and its security contact are settings of the subscription that no move carries, so each plan on Standard is
turned on in the target too (same sub-plan and extensions) and the contact set there the same. A plan the
target already runs on another sub-plan is the target's choice: the step fails with the reason and its command,
and nothing else stops. A plan Free in the source is not touched in the target. Each step waits for every move:
the settings follow the workload."""

from __future__ import annotations

import json

from migration.azure.ports import HasSettings
from migration.fixes import lookups
from migration.fixes.facts import PlanFacts, Relocation, args
from migration.fixes.family import Add, FixFamily, Specs, Steps, StepSpec
from migration.model import ArmError, ArmErrorDetail
from migration.model.plan import PlanStep, StepKind

PRICINGS = "Microsoft.Security/pricings"
CONTACTS = "Microsoft.Security/securityContacts"


def _follow_through(facts: PlanFacts, moves: Relocation, steps: Steps, specs: Specs, add: Add) -> None:
    base = f"/subscriptions/{facts.target_subscription_id}/providers"
    for plan in facts.defender_plans:
        if plan.properties.get("pricingTier") != "Standard":
            continue
        properties = {"pricingTier": "Standard", **{k: plan.properties[k] for k in ("subPlan", "extensions")
                                                    if plan.properties.get(k)}}
        enabled = [str(e.get("name")) for e in properties.get("extensions") or ()
                   if str(e.get("isEnabled")).lower() == "true"]
        target = f"{base}/{PRICINGS}/{plan.name}"
        add(PlanStep(f"enable_defender_plan:{target}".lower(), StepKind.ENABLE_DEFENDER_PLAN, "",
                     args(id=target, plan=plan.name, sub_plan=properties.get("subPlan") or "",
                          plan_name=" ".join(filter(None, (plan.name, properties.get("subPlan")))),
                          extensions=", ".join(enabled) or "none", properties=json.dumps(properties, sort_keys=True),
                          body=json.dumps({"properties": properties}, sort_keys=True)), after=moves.every_move))
    for contact in facts.security_contacts:
        target = f"{base}/{CONTACTS}/{contact.name}"
        properties = dict(contact.properties)
        add(PlanStep(f"set_security_contact:{target}".lower(), StepKind.SET_SECURITY_CONTACT, "",
                     args(id=target, emails=properties.get("emails") or "", properties=json.dumps(properties,
                                                                                                  sort_keys=True),
                          body=json.dumps({"properties": properties}, sort_keys=True)), after=moves.every_move))


async def _enable(azure: HasSettings, step: PlanStep) -> None:
    found = await lookups.setting(azure, step.arg("id"))
    now = found.properties if found is not None else {}
    if now.get("pricingTier") == "Standard" and (now.get("subPlan") or "") != step.arg("sub_plan"):
        raise ArmError(409, ArmErrorDetail(
            code="PlanRunsOtherSubPlan",
            message=f"The target subscription already runs Defender plan {step.arg('plan')} on sub-plan "
                    f"'{now.get('subPlan') or 'none'}'; it is left as it is."))
    await azure.settings.create_setting(step.arg("id"), properties=json.loads(step.arg("properties")))


async def _enabled(azure: HasSettings, step: PlanStep) -> bool:
    found = await lookups.setting(azure, step.arg("id"))
    wanted = json.loads(step.arg("properties"))
    return found is not None and all(found.properties.get(k) == wanted.get(k)
                                     for k in ("pricingTier", "subPlan", "extensions"))


async def _set_contact(azure: HasSettings, step: PlanStep) -> None:
    await azure.settings.create_setting(step.arg("id"), properties=json.loads(step.arg("properties")))


async def _contact_set(azure: HasSettings, step: PlanStep) -> bool:
    found = await lookups.setting(azure, step.arg("id"))
    return found is not None and found.properties == json.loads(step.arg("properties"))


FAMILY = FixFamily(
    name="defender",
    follow_through=_follow_through,
    steps=(StepSpec(StepKind.ENABLE_DEFENDER_PLAN, _enable, _enabled),
           StepSpec(StepKind.SET_SECURITY_CONTACT, _set_contact, _contact_set)),
)
