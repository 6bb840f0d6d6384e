"""Dry run against scripted Azure answers: disagreements in both directions, and no target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from migration.assessment.dryrun import NoTargetError, expand, planned_target_groups, run_dry_run, top_level_ids
from migration.model import ArmError, ArmErrorDetail
from tests.support.builders import DST, assess_resources, res


class _Op:
    def __init__(self, error: ArmError | None) -> None:
        self.error = error

    def continuation_token(self) -> str:
        return "t"

    async def wait(self) -> None:
        if self.error:
            raise self.error


class ScriptedMoves:
    """Answers validateMoveResources per group as scripted; records the requests."""

    def __init__(self, refuse: dict[str, ArmError]) -> None:
        self.refuse = refuse
        self.requests: list[tuple[str, list[str], str]] = []

    async def begin_validate(self, subscription_id: str, resource_group: str, *, resource_ids: Sequence[str],
                             target_group_id: str) -> _Op:
        self.requests.append((resource_group, list(resource_ids), target_group_id))
        return _Op(self.refuse.get(resource_group))


class ScriptedAzure:
    """A tenant whose dry runs answer as scripted (no target groups are created: they exist)."""

    def __init__(self, refuse: dict[str, ArmError]) -> None:
        self.moves = ScriptedMoves(refuse)
        self.groups = None


def _assessment():  # type: ignore[no-untyped-def]
    return assess_resources([
        res("rg-ok", "Microsoft.Sql/servers", "sql"), res("rg-ok", "Microsoft.Sql/servers/databases", "sql/db"),
        res("rg-plan", "Microsoft.Compute/virtualMachines", "fw", plan={"name": "p", "publisher": "x"}),
    ])


async def test_azure_refusing_a_ready_group_is_a_disagreement() -> None:
    azure = ScriptedAzure({"rg-ok": ArmError(409, ArmErrorDetail("ResourceMoveProviderValidationFailed", "failed",
                                                                 details=(ArmErrorDetail("QuotaExceeded", "vCPU"),)))})
    out = await run_dry_run(azure, _assessment())  # type: ignore[arg-type]
    ok = next(g for g in out.groups if g.name == "rg-ok")
    assert ok.dry_run is not None and not ok.dry_run.valid
    assert ok.dry_run.disagreement and "QuotaExceeded: vCPU" in ok.dry_run.disagreement
    # Only top-level ids are sent, into the same-named group of the target.
    assert azure.moves.requests == [("rg-ok", [ok.resource_ids[0]], f"/subscriptions/{DST}/resourceGroups/rg-ok")]


async def test_azure_accepting_a_blocked_group_is_a_disagreement_and_stands() -> None:
    out = await run_dry_run(ScriptedAzure({}), _assessment(), groups=["rg-plan"])  # type: ignore[arg-type]
    plan = next(g for g in out.groups if g.name == "rg-plan")
    assert plan.dry_run is not None and plan.dry_run.valid
    assert plan.dry_run.disagreement and "VM1" in plan.dry_run.disagreement
    assert next(g for g in out.groups if g.name == "rg-ok").dry_run is None  # not asked


async def test_agreement_records_no_disagreement() -> None:
    out = await run_dry_run(ScriptedAzure({}), _assessment())  # type: ignore[arg-type]
    assert [(g.name, g.dry_run.valid, g.dry_run.disagreement) for g in out.groups if g.dry_run] == [
        ("rg-ok", True, None)]


def test_no_target_no_plan() -> None:
    with pytest.raises(NoTargetError):
        planned_target_groups(replace(_assessment(), target=None))


def test_expand_unfolds_json_inside_a_message() -> None:
    inner = '{"error":{"details":[{"code":"MissingMoveDependentResources","target":"/subscriptions/x/disk"}]}}'
    tree = expand(ArmErrorDetail("ResourceMoveProviderValidationFailed", "failed",
                                 details=(ArmErrorDetail("BadRequest", inner, "Microsoft.Compute/virtualMachines"),)))
    assert [(d.code, d.target) for d in tree.walk()][-1] == ("MissingMoveDependentResources", "/subscriptions/x/disk")


def test_top_level_ids_leave_children_to_their_parent() -> None:
    group = next(g for g in _assessment().groups if g.name == "rg-ok")
    assert [i.rsplit("/", 1)[-1] for i in top_level_ids(group)] == ["sql"]
