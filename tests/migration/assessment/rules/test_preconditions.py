"""Preconditions: each one failing on its own names the problem and blocks the move."""

from __future__ import annotations

from dataclasses import replace

import pytest

from migration.assessment.assess import summarize
from migration.model import Permission, Severity
from tests.support.builders import (
    DST,
    OTHER_TENANT,
    SOURCE,
    TARGET,
    assess_resources,
    lock,
    res,
)

ST = [res("rg-a", "Microsoft.Storage/storageAccounts", "st")]


def _ids(a) -> list[tuple[str, Severity]]:  # type: ignore[no-untyped-def]
    return [(f.rule_id, f.severity) for f in a.preconditions]


def test_clean_payg_to_csp_in_one_tenant_has_no_preconditions() -> None:
    a = assess_resources(ST)
    assert a.preconditions == ()
    assert summarize(a).preconditions_ok


@pytest.mark.parametrize(("source", "target", "expected"), [
    (replace(SOURCE, quota_id="CSP_2015-05-01"), TARGET, [("P1", Severity.BLOCKER)]),
    (replace(SOURCE, quota_id="MSDNDevTest_2014-09-01"), TARGET, [("P2", Severity.WARNING)]),
    (SOURCE, replace(TARGET, quota_id="PayAsYouGo_2014-09-01"), [("G2", Severity.BLOCKER)]),
    (replace(SOURCE, state="PastDue"), TARGET, [("G3", Severity.BLOCKER)]),
    (SOURCE, replace(TARGET, state="Disabled"), [("G3", Severity.BLOCKER)]),
    (SOURCE, replace(TARGET, tenant_id=OTHER_TENANT), [("G1", Severity.BLOCKER)]),
], ids=["source-is-csp", "devtest-caveat", "target-not-csp", "source-past-due", "target-disabled", "cross-tenant"])
def test_each_precondition_alone(source, target, expected) -> None:  # type: ignore[no-untyped-def]
    a = assess_resources(ST, source=source, target=target)
    assert _ids(a) == expected
    assert summarize(a).preconditions_ok is (expected[0][1] is not Severity.BLOCKER)


def test_cross_tenant_gives_the_steps_to_rehome_and_what_drops() -> None:
    a = assess_resources(ST, target=replace(TARGET, tenant_id=OTHER_TENANT))
    (g1,) = a.preconditions
    assert OTHER_TENANT in g1.message
    assert "Change directory" in g1.remediation
    assert "role assignments" in g1.remediation and "policy assignments" in g1.remediation


def test_read_only_lock_on_either_subscription_is_lifted_first() -> None:
    a = assess_resources(ST, locks=[lock(f"/subscriptions/{DST}", name="csp-freeze")])
    assert _ids(a) == [("G12", Severity.FIX_FIRST)]
    assert "csp-freeze" in a.preconditions[0].message
    assert a.preconditions[0].fix.command.posix() == f"az lock delete --name csp-freeze --subscription {DST}"
    assert assess_resources(ST, locks=[lock(f"/subscriptions/{DST}", level="CanNotDelete")]).preconditions == ()


def test_without_a_target_the_target_rules_become_checks() -> None:
    a = assess_resources(ST, target=None)
    assert a.preconditions == ()
    assert {"G1", "G2", "G4"} <= {m.rule_id for m in a.manual_checks}
    assert {"G6", "G16"} <= {m.rule_id for m in assess_resources(ST).manual_checks}
    assert "G5" not in {m.rule_id for m in assess_resources(ST).manual_checks}, "G5 is checked, not asked"


READER = [Permission(("*/read",))]
CONTRIBUTOR = [Permission(("*",), ("Microsoft.Authorization/*/Delete", "Microsoft.Authorization/*/Write"))]


def test_permissions_are_checked_not_asked() -> None:
    assert assess_resources(ST, permissions={"source": CONTRIBUTOR, "target": CONTRIBUTOR}).preconditions == ()
    a = assess_resources(ST, permissions={"source": READER, "target": []})
    assert _ids(a) == [("G5", Severity.BLOCKER), ("G5", Severity.BLOCKER)]
    source, target = a.preconditions
    assert "source subscription" in source.message and "move resources out of resource groups" in source.message
    assert "read the subscription" not in source.message, "Reader may read"
    assert "create resource groups" in target.message and "read the subscription" in target.message
    assert "Contributor" in target.remediation
    # A wildcard grant in notActions takes away what the actions gave.
    denied_move = [Permission(("*",), ("Microsoft.Resources/subscriptions/resourceGroups/moveResources/*",))]
    assert _ids(assess_resources(ST, permissions={"source": denied_move})) == [("G5", Severity.BLOCKER)]
