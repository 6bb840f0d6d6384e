"""Subscription settings follow the move, across SIGKILL (sandbox scenario `litware`, in its own process).

What is set on the source subscription itself stays behind when its groups move: one approval, given through
/api/messages, moves the groups and re-creates those settings on the target subscription. The bot is killed
with SIGKILL at every step once Azure carried out the step's call and started again each time; read back from
the sandbox afterwards, every setting is on the target, Azure carried out each write once, and what Azure
refused (a principal since deleted) is a failed step with Azure's reason and the command, stopping nothing.
"""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from bot.notifier import render, report_card
from migration.fixes.families import command
from migration.model import RequestState
from migration.model.plan import StepKind
from migration.model.records import StepStatus
from migration.reports.move import build
from migration.reports.move_export import to_markdown
from sandbox.state import load_scenario
from tests.support.bot_http import Connector
from tests.support.cardtools import text_of
from tests.support.scenarios.litware import (
    ALICE,
    BILLING,
    BOB,
    CONTRIBUTOR,
    FINANCE,
    LITWARE,
    PICKED,
    READER,
    SOURCE,
    SOURCE_TAGS,
    TARGET,
    WORKSPACE,
)
from tests.support.sigkill import (
    approve_and_kill_at_every_step,
    once_azure_took_it,
    plan_and_submit,
    sandbox_and_bot,
    slow_writes,
)

pytestmark = pytest.mark.restart

WRITE_OF = {"recreate_assignment": "RoleAssignments_Create",
            "add_assignable_scope": "RoleDefinitions_CreateOrUpdate", "tag_subscription": "Tags_UpdateAtScope",
            "create_budget": "Budgets_CreateOrUpdate",
            "create_diagnostic_setting": "SubscriptionDiagnosticSettings_CreateOrUpdate",
            "enable_defender_plan": "Pricings_Update", "set_security_contact": "SecurityContacts_Create"}
ON_TARGET = f"/subscriptions/{TARGET}"


async def test_one_approval_carries_the_subscription_settings_to_the_target_across_sigkill(
    tmp_path: Path, connector: Connector
):
    async with sandbox_and_bot(tmp_path, load_scenario("litware")) as run:
        stored = await plan_and_submit(run.gateway, run.workflow, picked=PICKED, request_id="SUB1", tenant=LITWARE,
                                       source=SOURCE, target=TARGET)
        steps = stored.fix_steps
        on_subscription = [s for s in steps if s.kind is StepKind.RECREATE_ASSIGNMENT
                           and s.arg("scope") == ON_TARGET]
        # Each assignment made on the source subscription is a step of the plan, on the target subscription;
        # not Finance's Reader, which the target subscription already gives it.
        assert sorted((s.arg("principal"), s.arg("role").rsplit("/", 1)[-1]) for s in on_subscription) == sorted(
            [(ALICE, READER), (FINANCE, CONTRIBUTOR), (FINANCE, BILLING), (BOB, READER)])
        assert [s.arg("role_name") for s in steps if s.kind is StepKind.ADD_ASSIGNABLE_SCOPE] == [
            "Billing Reader (Litware)"]
        [tagging] = [s for s in steps if s.kind is StepKind.TAG_SUBSCRIPTION]
        assert tagging.text == f"Put the 3 tags of the source subscription on the target subscription {TARGET}"
        budgets = {s.arg("name"): s for s in steps if s.kind is StepKind.CREATE_BUDGET}
        assert sorted(budgets) == ["monthly-cap", "team-web"]
        [export] = [s for s in steps if s.kind is StepKind.CREATE_DIAGNOSTIC_SETTING]
        assert export.text == ("Export the target subscription's Activity Log (Administrative, Security, Policy, "
                               "ServiceHealth) to log-litware, as setting activity-to-logs does for the source")
        # Every setting waits for every move: it follows the workload (and the workspace's new id exists then).
        assert all(set(s.after) >= {f"move:{g}" for g in PICKED} for s in steps if s.kind.value in WRITE_OF
                   and s.kind is not StepKind.ADD_ASSIGNABLE_SCOPE)
        plans = {s.arg("plan"): s for s in steps if s.kind is StepKind.ENABLE_DEFENDER_PLAN}
        assert sorted(plans) == ["Arm", "StorageAccounts", "VirtualMachines"]  # not KeyVaults: Free in the source
        assert plans["VirtualMachines"].text == ("Turn on Defender plan VirtualMachines P2 in the target subscription "
                                                 "(extensions: AgentlessVmScanning)")
        [contact] = [s for s in steps if s.kind is StepKind.SET_SECURITY_CONTACT]
        # The approver sees each setting the one click carries, before clicking.
        approval = text_of(render(stored, approver_mris=[], view="approver"))
        assert f"then {len(steps)} steps after them" in approval and tagging.text in approval
        # ...and that the customer sees budgets and costs only once cost visibility is on, at retail prices.
        assert ("Make budget monthly-cap again on the target subscription (amount 5000, Monthly, alert rules: 2)"
                in approval)
        assert "only once you turn cost visibility on for them in Partner Center, at retail prices" in approval

        async with aiohttp.ClientSession() as session:
            await slow_writes(session, run.arm, run.ca, sorted(set(WRITE_OF.values())))
            kills, seen = await approve_and_kill_at_every_step(
                session, run.workflow, request_id=stored.id, bot_args=run.bot_args, port=run.port,
                connector_url=connector.url, before_kill=once_azure_took_it(session, run.arm, run.ca, WRITE_OF))
            async with session.get(f"{run.arm}/_sandbox/stats", ssl=ssl.create_default_context(cafile=run.ca)) as r:
                stats = await r.json()
        done = await run.workflow.get(stored.id)
        assert done is not None
        azure = run.gateway.for_tenant(LITWARE)
        in_target = await azure.authorization.list_role_assignments(TARGET)
        billing = await azure.authorization.get_role_definition(BILLING, scope=ON_TARGET)
        target_tags = await azure.tags.get_tags(ON_TARGET)
        budget_ids = {n: s.arg("id") for n, s in budgets.items()}
        cap = await azure.settings.get_setting(budget_ids["monthly-cap"])
        partners = await azure.settings.get_setting(budget_ids["team-web"])
        source_cap = await azure.settings.get_setting(budget_ids["monthly-cap"].replace(TARGET, SOURCE))
        exported = await azure.settings.get_setting(export.arg("id"))
        defended = {p: (await azure.settings.get_setting(s.arg("id"))).properties for p, s in plans.items()}
        contacted = await azure.settings.get_setting(contact.arg("id"))
        source_contact = await azure.settings.get_setting(contact.arg("id").replace(TARGET, SOURCE))
        target_tags = await azure.tags.get_tags(ON_TARGET)
        budget_ids = {n: s.arg("id") for n, s in budgets.items()}
        cap = await azure.settings.get_setting(budget_ids["monthly-cap"])
        partners = await azure.settings.get_setting(budget_ids["team-web"])
        source_cap = await azure.settings.get_setting(budget_ids["monthly-cap"].replace(TARGET, SOURCE))
        exported = await azure.settings.get_setting(export.arg("id"))
        defended = {p: (await azure.settings.get_setting(s.arg("id"))).properties for p, s in plans.items()}
        contacted = await azure.settings.get_setting(contact.arg("id"))
        source_contact = await azure.settings.get_setting(contact.arg("id").replace(TARGET, SOURCE))

    # A refused setting stops nothing: the groups moved, every other step succeeded.
    assert done.state is RequestState.SUCCEEDED, done
    # Killed at each step of the subscription's settings.
    settings = {s.key for s in steps if s.kind.value in WRITE_OF}
    assert settings <= seen and kills >= 1  # (they run side by side: one kill may catch several)
    status = {s.key: done.step_record(s.key).status for s in steps}
    bob = next(s for s in on_subscription if s.arg("principal") == BOB)
    refused = {bob.key, budgets["team-web"].key, plans["Arm"].key}
    assert status == {s.key: StepStatus.FAILED if s.key in refused else StepStatus.SUCCEEDED for s in steps}
    assert done.step_record(bob.key).error.code == "PrincipalNotFound"
    # The target's own budget of that name is Azure's to keep: it refuses the overwrite, and it stays as it was.
    assert "There are changes made to Budget team-web" in done.step_record(budgets["team-web"].key).error.message
    assert partners.properties["amount"] == 300
    # The budget is on the target as on the source: amount, grain, period, alert rules (not the spend so far).
    assert {k: cap.properties[k] for k in ("amount", "timeGrain", "timePeriod", "notifications")} == {
        k: source_cap.properties[k] for k in ("amount", "timeGrain", "timePeriod", "notifications")}
    assert "currentSpend" not in cap.properties
    # Defender's plans are on in the target as in the source; the target's own sub-plan of Arm is left as it is.
    assert defended["VirtualMachines"] == {"pricingTier": "Standard", "subPlan": "P2", "extensions": [
        {"name": "MdeDesignatedSubscription", "isEnabled": "False"},
        {"name": "AgentlessVmScanning", "isEnabled": "True"}]}
    assert defended["StorageAccounts"]["subPlan"] == "DefenderForStorageV2"
    assert defended["Arm"]["subPlan"] == "PerApiCall"
    assert "already runs Defender plan Arm on sub-plan 'PerApiCall'" in done.step_record(plans["Arm"].key).error.message
    assert contacted.properties == source_contact.properties
    # The target's Activity Log goes to the workspace at its new id, in the target subscription.
    assert exported.properties["workspaceId"] == WORKSPACE.replace(SOURCE, TARGET)
    assert [x["category"] for x in exported.properties["logs"] if x["enabled"]] == [
        "Administrative", "Security", "Policy", "ServiceHealth"]
    # Read back from the sandbox: the assignments are on the target subscription, as they were on the source.
    made = {(a.principal_id, a.role_guid, a.condition or "", a.description or "") for a in in_target
            if a.scope.lower() == ON_TARGET}
    assert made >= {(ALICE, READER, "", "Auditors read the subscription"),
                    (FINANCE, CONTRIBUTOR, "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]"
                     " StringEquals 'invoices'", "Finance writes the invoices container"),
                    (FINANCE, BILLING, "", "")}
    assert not any(a.principal_id == BOB for a in in_target)
    assert ON_TARGET in billing.assignable_scopes and f"/subscriptions/{SOURCE}" in billing.assignable_scopes
    # Azure carried out every write once: nothing was repeated across the kills.
    ops = stats["applied_by_operation"]
    assert (ops["RoleAssignments_Create"], ops["RoleDefinitions_CreateOrUpdate"], ops["Tags_UpdateAtScope"],
            ops["Budgets_CreateOrUpdate"], ops["SubscriptionDiagnosticSettings_CreateOrUpdate"], ops["Pricings_Update"],
            ops["SecurityContacts_Create"]) == (3, 1, 1, 1, 1, 2, 1)
    # The source subscription's tags are on the target subscription; its command quotes them for a shell.
    assert target_tags == SOURCE_TAGS
    assert command(tagging).posix() == (f"az tag update --resource-id {ON_TARGET} --operation Merge --tags "
                                        "costCenter=CC-1042 'note=billing $(whoami); '\"'\"'quoted'\"'\"'' "
                                        "owner=it-ops@litware.com")
    # The report names the refused one with Azure's reason and the command that does it by hand.
    report = text_of(report_card(done))
    assert "PrincipalNotFound" in report or "does not exist in the directory" in report
    assert command(bob).posix().startswith(f"az role assignment create --assignee-object-id {BOB} ")
    assert command(bob).posix().endswith(f" --scope {ON_TARGET}")
    assert f"--assignee-object-id {BOB}" in report
    assert f"az rest --method put --url '{budget_ids['team-web']}?api-version=2024-08-01' --body '" in report
    # The move report lists every setting: carried (ticked) or failed (to do by hand, with its command).
    markdown = to_markdown(build(done, now=datetime.now(UTC)))
    to_do, finished = markdown.split("## Done", 1)
    assert "## To do by hand" in to_do and f"--assignee-object-id {BOB}" in to_do
    finished = finished.replace("\u2060", "")  # the word joiners that keep an email from turning into a link
    assert all(s.text in finished for s in steps if s.key not in refused)
    assert not any(s.text in finished for s in steps if s.key in refused)
