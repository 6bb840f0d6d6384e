"""Planning a workspace's Automation link: removed before the move, made again on the moved workspace for the
Automation account wherever it is then."""

from __future__ import annotations

from migration.fixes.families import command
from migration.model.plan import StepKind
from tests.support.service_fixes import AA, AA_ELSEWHERE, LINK, OPS_TARGET, S, T, by_kind, facts


def test_the_link_is_removed_before_and_made_again_on_the_moved_workspace_for_the_moved_account():
    plan, steps = by_kind(facts())
    (unlink,), (relink,) = steps[StepKind.UNLINK_WORKSPACE], steps[StepKind.RELINK_WORKSPACE]
    assert (unlink.phase, unlink.group, unlink.arg("link")) == ("before", "rg-ops", LINK)
    assert relink.arg("link") == f"{OPS_TARGET}/providers/Microsoft.OperationalInsights/workspaces/log-ops/" \
                                 "linkedServices/Automation"
    assert relink.arg("automation") == f"{OPS_TARGET}/providers/Microsoft.Automation/automationAccounts/aa-ops"
    # After the removal, and once the move ended: where the workspace is then (moved, or not).
    assert (relink.after, relink.ended) == ((unlink.key,), ("move:rg-ops",))
    assert (relink.arg("link_source"), relink.arg("automation_source")) == (LINK, AA)
    assert unlink.text == "Unlink Automation account aa-ops from workspace log-ops"
    assert command(unlink).posix() == (f"az monitor log-analytics workspace linked-service delete --subscription {S} "
                                      f"-g rg-ops "
                              "--workspace-name log-ops -n Automation --yes")
    assert command(relink).posix() == (f"az monitor log-analytics workspace linked-service create --subscription {T} "
                              f"-g rg-ops-csp --workspace-name log-ops -n Automation --resource-id "
                              f"{relink.arg('automation')}")
    assert "Update Management" in unlink.warning and relink.warning == ""
    assert not plan.manual


def test_an_account_that_stays_is_linked_again_where_it_is():
    _, steps = by_kind(facts(automation=AA_ELSEWHERE))
    (relink,) = steps[StepKind.RELINK_WORKSPACE]
    assert relink.arg("automation") == AA_ELSEWHERE
    assert relink.ended == ("move:rg-ops",)  # waits for no other move
