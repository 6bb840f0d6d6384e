"""The move journey over real HTTP to /api/messages, for what Azure refuses to move until it is removed: a
workspace linked to Automation, a SQL IaaS Agent registration, a free managed certificate bound to a custom
domain. The picker offers their groups, the plan says what is removed and made again and what stops working
meanwhile, leaving a fix out drops the group that needs it, and the approval card shows it all."""

from __future__ import annotations

from tests.support import teams
from tests.support.cardtools import buttons, choices, click, text_of, wait_update
from tests.support.sandbox import CSP, PAYG
from tests.support.scenarios.services import services_scenario

STEPS = ("Unlink Automation account aa-ops from workspace log-ops",
         "Delete the SQL IaaS Agent registration of virtual machine vm-sql (AHUB license, Full management)",
         "Unbind and delete the free managed certificate for www.fabrikam.example")
WARNING = "breaks HTTPS on www.fabrikam.example until the certificate is issued again and bound after the move"


async def test_the_plan_and_the_approval_say_what_is_removed_made_again_and_broken_meanwhile(
        start_bot, connector, sandbox_factory):
    sandbox = await sandbox_factory(services_scenario(), lro_seconds=0.1)
    bot = await start_bot(APPROVER_IDS=teams.APPROVER["aadObjectId"], AZURE_CREDENTIAL="sandbox",
                          ARM_ENDPOINT=sandbox.url, ARM_CA_BUNDLE=str(sandbox.ca_path),
                          AZURE_AUTHORITY_HOST=sandbox.url)
    await bot.post(teams.message("move", connector.url))
    await bot.post(teams.message("fabrikam.onmicrosoft.com", connector.url))
    await connector.wait_for(2)
    target_picker = await click(bot, connector, buttons(connector.cards()[-1])["Continue"], subscriptionId=PAYG)
    await click(bot, connector, buttons(target_picker)["Continue"], targetSubscriptionId=CSP)
    picker = await wait_update(connector, "Which resource groups?")
    offered = {c["value"]: c["title"] for c in choices(picker, "groups")}
    assert "after fixes the bot makes" in offered["rg-ops"] and "after fixes the bot makes" in offered["rg-site"]
    confirm = await click(bot, connector, buttons(picker)["Continue"], groups="rg-ops,rg-site")
    connector.updated.clear()
    await click(bot, connector, buttons(confirm)["Create groups and run dry run"])
    plan = await wait_update(connector, "Move plan MR-", timeout=60)
    text = text_of(plan)
    assert all(step in text for step in STEPS) and WARNING in text
    every = ["unlink_automation_workspace", "delete_sql_iaas_registration", "recreate_managed_certificate",
             "register_provider"]
    assert set(every) <= {c["value"] for c in choices(plan, "fixes")}

    # Leaving the certificate to the engineer drops the group that needs it, and says so.
    connector.updated.clear()
    await click(bot, connector, buttons(plan)["Update plan"], fixes=",".join(every[:2]))
    narrower = await wait_update(connector, "Left out of this plan", timeout=60)
    assert "rg-site: a fix it needs is not ticked" in text_of(narrower) and STEPS[2] not in text_of(narrower)

    connector.updated.clear()
    await click(bot, connector, buttons(narrower)["Update plan"], fixes=",".join(every))
    plan = await wait_update(connector, "free managed certificate for www.fabrikam.example", timeout=60)
    connector.clear()
    submitted = text_of(await click(bot, connector, buttons(plan)["Ask for approval"]))
    assert "approval needed" in submitted and "rg-ops" in submitted and "rg-site" in submitted
    assert WARNING in submitted and "SQL Server itself keeps running" in submitted
    assert "Issue a free managed certificate for www.fabrikam.example again and bind it to app-site" in submitted
