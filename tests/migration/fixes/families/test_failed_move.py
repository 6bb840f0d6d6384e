"""Every fix family through a move that fails (in process, on the sandbox): the plan keeps every fix, the
approver approves, Azure accepts the dry run and then refuses each group's move. Read back through the
sandbox's admin API, the customer's Azure is as it was before, except what a step that lasts changed (a
provider registered in the target, a restore point collection deleted, a resource brought into another group),
and the report says that as done. A family that takes something away and does not put it back fails here."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from migration.execution.runner import MoveRunner
from migration.execution.workflow import Workflow
from migration.fixes.families import FAMILIES, SPECS
from migration.model import GroupState, ResourceId
from migration.model.plan import PlanStep
from migration.model.records import StoredRequest
from migration.reports.move import Outcome, build, manual_title
from migration.reports.move_export import to_markdown
from sandbox.state import load_scenario
from tests.migration.fixes.test_runner import FAST
from tests.support.moves import approver_actor
from tests.support.sandbox import CSP, FABRIKAM, PAYG
from tests.support.scenarios import litware
from tests.support.scenarios.app_network import app_network_scenario
from tests.support.scenarios.fixes import fixes_scenario
from tests.support.scenarios.refused import refused_moves
from tests.support.scenarios.resource_fixes import resource_fixes_scenario
from tests.support.scenarios.services import services_scenario
from tests.support.sigkill import plan_and_submit


@dataclass(frozen=True)
class Walk:
    scenario: Callable[[], dict[str, Any]]
    picked: tuple[str, ...]
    refused: tuple[str, ...]  # the groups whose resources Azure refuses to move to the target
    where: tuple[str, str, str] = (FABRIKAM, PAYG, CSP)  # tenant, source and target subscriptions


FIXES = Walk(fixes_scenario, ("rg-app", "rg-locked", "rg-net", "rg-webapp"),
             ("rg-app", "rg-locked", "rg-net", "rg-web"))  # app-2 goes back to rg-web first, in the source
def _locked_certificate() -> dict[str, Any]:
    """The services, with a delete lock on the managed certificate the move deletes and issues again."""
    data = services_scenario()
    site = next(g for s in data["subscriptions"] for g in s["resourceGroups"] if g["name"] == "rg-site")
    cert = next(r for r in site["resources"] if r["name"] == "www-cert")
    cert["locks"] = [{"name": "keep-cert", "level": "CanNotDelete", "notes": "Keep the certificate"}]
    return data


SERVICES = Walk(_locked_certificate, ("rg-ops", "rg-site"), ("rg-ops", "rg-site"))
RESOURCES = Walk(resource_fixes_scenario, ("rg-stream", "rg-disks", "rg-backup"),
                 ("rg-stream", "rg-disks", "rg-backup"))
NETWORK = Walk(app_network_scenario, ("rg-web",), ("rg-web",))


def _no_target_set() -> dict[str, Any]:
    """The fixes on single resources, with no disk encryption set in the target for the disk to go back on."""
    data = resource_fixes_scenario()
    csp = next(s for s in data["subscriptions"] if s["id"] == CSP)
    csp["resourceGroups"] = [g for g in csp["resourceGroups"] if g["name"] != "rg-keys"]
    return data


KEYLESS = Walk(_no_target_set, ("rg-disks",), ("rg-disks",))
SETTINGS = Walk(lambda: load_scenario("litware"), litware.PICKED, litware.PICKED,
                (litware.LITWARE, litware.SOURCE, litware.TARGET))
WALKS = {"locks": (FIXES, SERVICES), "providers": (FIXES,), "consolidation": (FIXES,), "public_ips": (FIXES,),
         "peerings": (FIXES,), "group_tags": (FIXES,), "role_assignments": (FIXES, SETTINGS),
         "workspace_links": (SERVICES,),
         "sql_registrations": (SERVICES,), "managed_certificates": (SERVICES,), "stream_jobs": (RESOURCES,),
         "disk_keys": (RESOURCES, KEYLESS), "restore_points": (RESOURCES,), "app_networking": (NETWORK,),
         "subscription_tags": (SETTINGS,), "budgets": (SETTINGS,), "diagnostic_settings": (SETTINGS,),
         "defender": (SETTINGS,)}


@dataclass(frozen=True)
class Walked:
    done: StoredRequest
    changed: dict[str, tuple[Any, Any]]  # what differs in the customer's Azure: key -> (before, after)


_walked: dict[int, Walked] = {}  # each walk runs once for the families it covers


def _provider_path(resource: dict[str, Any]) -> str:
    namespace, *types = resource["type"].split("/")
    return "/".join([namespace, *(f"{t}/{n}" for t, n in zip(types, resource["name"].split("/"), strict=True))])


# What Azure sets anew on a resource made again or started again, which no one could keep: a re-issued managed
# certificate's own thumbprint (and the binding to it), a restarted job's progress.
_FRESH = {"microsoft.web/certificates": ("thumbprint", "issuer", "subjectName"),
          "microsoft.streamanalytics/streamingjobs": ("lastOutputEventTime", "outputStartMode")}


def _as_kept(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource as the customer keeps it (without the scripted refusal the walk gives it)."""
    kept = {k: v for k, v in resource.items() if k != "outcome"}
    fresh = _FRESH.get(resource["type"].lower(), ())
    props = {k: v for k, v in (resource.get("properties") or {}).items() if k not in fresh}
    if "hostNameSslStates" in props:
        props["hostNameSslStates"] = [{k: v for k, v in state.items() if k != "thumbprint"}
                                      for state in props["hostNameSslStates"]]
    return {**kept, "properties": props}


def _customer(state: dict[str, Any]) -> dict[str, Any]:
    """The world as keys a step can name: a resource by subscription and provider path (its group is part of
    its value, so a resource brought into another group differs), a group by id, a provider by namespace."""
    out: dict[str, Any] = {}
    for sub in state["subscriptions"]:
        base = f"/subscriptions/{sub['id']}"
        out[f"{base}/locks".lower()] = sub["locks"]
        out[f"{base}/tags".lower()] = sub.get("tags") or {}
        for type_, settings in (sub.get("settings") or {}).items():
            for setting in settings:
                out[f"{base}/providers/{type_}/{setting['name']}".lower()] = setting
        for namespace, registration in sub["providers"].items():
            out[f"{base}/providers/{namespace}".lower()] = registration
        for group in sub["resourceGroups"]:
            out[f"{base}/resourcegroups/{group['name']}".lower()] = (group["tags"], group["locks"])
            for resource in group["resources"]:
                out[f"{base}/providers/{_provider_path(resource)}".lower()] = (group["name"], _as_kept(resource))
    for tenant in state["tenants"]:
        for assignment in tenant.get("roleAssignments") or []:
            out[f"assignment:{assignment['name']}".lower()] = assignment
        for role in tenant.get("roleDefinitions") or []:
            out[f"role:{role['id']}".lower()] = role
    return out


def _named(step: PlanStep) -> Iterator[str]:
    """The keys of `_customer` a step's arguments name."""
    for _, value in step.args:
        for part in value.split():
            if ResourceId.is_valid(part):
                rid = ResourceId.parse(part)
                yield (f"/subscriptions/{rid.subscription}/providers/{rid.provider_path}" if rid.levels
                       else part).lower()
    if step.arg("namespace"):
        yield f"/subscriptions/{step.arg('subscription')}/providers/{step.arg('namespace')}".lower()


async def _state(sandbox: Any, session: aiohttp.ClientSession) -> dict[str, Any]:
    async with session.get(f"{sandbox.url}/_sandbox/state",
                           ssl=ssl.create_default_context(cafile=str(sandbox.ca_path))) as response:
        assert response.status == 200
        return dict(await response.json())


async def _walk(walk: Walk, workflow: Workflow, sandbox_factory: Any, gateway_factory: Any) -> Walked:
    if id(walk) in _walked:
        return _walked[id(walk)]
    sandbox = await sandbox_factory(refused_moves(walk.scenario(), walk.refused, source=walk.where[1]),
                                    lro_seconds=0.1)
    gateway = gateway_factory(sandbox)
    async with aiohttp.ClientSession() as session:
        before = _customer(await _state(sandbox, session))
        tenant, source, target = walk.where
        stored = await plan_and_submit(gateway, workflow, picked=walk.picked, request_id=f"FAIL{len(_walked)}",
                                       tenant=tenant, source=source, target=target)
        assert (await workflow.approve(stored.id, approver_actor)).changed
        assert await MoveRunner(workflow, gateway, config=FAST).run_once() == [stored.id]
        after = _customer(await _state(sandbox, session))
    done = await workflow.get(stored.id)
    assert done is not None
    changed = {k: (before.get(k), after.get(k)) for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    _walked[id(walk)] = Walked(done, changed)
    return _walked[id(walk)]


@pytest.mark.parametrize("family", [f.name for f in FAMILIES])
async def test_a_failed_move_leaves_the_customers_azure_as_it_was_or_the_report_says_what_differs(
        family: str, workflow: Workflow, sandbox_factory: Any, gateway_factory: Any) -> None:
    assert family in WALKS, f"no failed move walks {family}: add its scenario to WALKS"
    for walk in WALKS[family]:
        _check(family, await _walk(walk, workflow, sandbox_factory, gateway_factory))


def _check(family: str, walked: Walked) -> None:
    done = walked.done
    assert {g.state for g in done.request.groups} == {GroupState.FAILED}, done.request.groups
    kinds = {s.kind for s in done.fix_steps}
    own = {spec.kind for f in FAMILIES if f.name == family for spec in f.steps}
    mine = [s for s in done.fix_steps if s.kind in own]
    assert mine, f"the walk plans no step of {family}: {sorted(kinds)}"

    report = build(done, now=datetime.now(UTC))
    lines = {line.key: line for line in report.steps}
    lasting = [s for s in done.fix_steps if SPECS[s.kind].lasting and lines[s.key].outcome is Outcome.DONE]
    said = {key: s for s in lasting for key in _named(s)}
    # The customer's Azure as before, but for what a lasting step changed, and the report says it is done,
    # naming what it changed.
    unsaid = {k: v for k, v in walked.changed.items()
              if not any(k == n or k.startswith(n + "/") for n in said) and not _empty_target_group(k, v, done)}
    assert unsaid == {}, (sorted(unsaid), [f"{lines[s.key].outcome.value}: {s.text}" for s in done.fix_steps])
    for key in walked.changed.keys() - unsaid.keys():
        named = [n for n in said if key == n or key.startswith(n + "/")]
        assert any(n.rsplit("/", 1)[1] in lines[said[n].key].text.lower() for n in named) or \
            _empty_target_group(key, walked.changed[key], done), (key, [lines[said[n].key].text for n in named])
    # Every step that puts back what a step before the moves took away did, where it stayed.
    before = {s.key for s in done.fix_steps if s.phase == "before"}
    for step in done.fix_steps:
        if step.phase == "after" and before & set(step.after):
            assert lines[step.key].outcome is Outcome.DONE, (lines[step.key].text, lines[step.key].error)
            assert "CSP subscription" not in lines[step.key].text  # says where it happened: where it stayed


def _empty_target_group(key: str, change: tuple[Any, Any], done: StoredRequest) -> bool:
    """A target group the move made for a group that then did not move stays, empty: the report names it."""
    before, after = change
    return before is None and after is not None and any(g.target_group_id.lower() == key
                                                        for g in done.request.groups)


async def test_after_a_failed_move_what_is_left_to_do_by_hand_names_where_things_stayed(
        workflow: Workflow, sandbox_factory: Any, gateway_factory: Any) -> None:
    """Nothing to do in the target for a move that did not happen: no NAT gateway or disk encryption set to
    make there; resuming a backup is asked of the VM's own vault, and says so rather than naming the fix made
    before the move."""
    for walk in (RESOURCES, NETWORK, KEYLESS):
        done = (await _walk(walk, workflow, sandbox_factory, gateway_factory)).done
        report = build(done, now=datetime.now(UTC))
        assert all(CSP not in m.command.posix() and "in the target" not in manual_title(m) for m in report.manual)
        text = to_markdown(report)
        assert "remove restore points" not in text.lower()
        if walk is RESOURCES:
            assert "**The bot cannot do this** (rg-backup): The move of vm-b did not happen: its vault backs it " \
                   "up where it stayed" in text
            assert "az backup protection resume" in text and "--item-name vm-b" in text
        else:
            assert report.manual == ()  # the steps after the move put everything back where it stayed
