"""The vocabulary of a move plan's steps: their kinds, the step itself, and their texts from `steps.json`.

A step's user-facing text, command and Microsoft source live in the data file, keyed by kind; the planner
(`migration.fixes.plan`) fills in the arguments, the runner (`migration.execution.fixstep`) carries steps out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from typing import Any

from migration import DATA_DIR
from migration.model.commands import Script, fill
from migration.model.ids import ResourceId

STEPS_FILE = DATA_DIR / "steps.json"
_SOURCE = "_source"  # the suffix of an argument's value where things are when a move did not happen


class StepKind(StrEnum):
    LIFT_LOCK = "lift_lock"
    REGISTER_PROVIDER = "register_provider"
    CONSOLIDATE = "consolidate"
    MOVE_APP_BACK = "move_app_back"
    DISASSOCIATE_IP = "disassociate_ip"
    DELETE_PEERING = "delete_peering"
    RESTORE_LOCK = "restore_lock"
    REASSOCIATE_IP = "reassociate_ip"
    RECREATE_PEERING = "recreate_peering"
    TAG_GROUP = "tag_group"
    ADD_ASSIGNABLE_SCOPE = "add_assignable_scope"
    RECREATE_ASSIGNMENT = "recreate_assignment"
    # What Azure refuses to move, removed before and created again after: a workspace's Automation link,
    # a SQL IaaS Agent registration, a free App Service managed certificate (and its bindings).
    UNLINK_WORKSPACE = "unlink_workspace"
    RELINK_WORKSPACE = "relink_workspace"
    DELETE_SQL_REGISTRATION = "delete_sql_registration"
    REGISTER_SQL_VM = "register_sql_vm"
    DELETE_MANAGED_CERTIFICATE = "delete_managed_certificate"
    RECREATE_MANAGED_CERTIFICATE = "recreate_managed_certificate"
    # Stream Analytics jobs, disks on customer-managed keys, Azure Backup restore points.
    STOP_JOB = "stop_job"
    DISK_TO_PLATFORM_KEY = "disk_to_platform_key"
    DELETE_RESTORE_POINTS = "delete_restore_points"
    START_JOB = "start_job"
    DISK_TO_CUSTOMER_KEY = "disk_to_customer_key"
    # An app's VNet integration, a subnet's NAT gateway.
    REMOVE_VNET_INTEGRATION = "remove_vnet_integration"
    DETACH_NAT_GATEWAY = "detach_nat_gateway"
    ADD_VNET_INTEGRATION = "add_vnet_integration"


# The rules' fix actions (migration.model.FixAction values) the bot carries out itself.
AUTOMATIC_ACTIONS = frozenset({"lift_read_only_lock", "register_provider", "consolidate_dependencies",
                               "move_app_service_back", "disassociate_public_ip", "disable_peering",
                               "unlink_automation_workspace", "delete_sql_iaas_registration",
                               "recreate_managed_certificate", "stop_job", "disable_customer_managed_key",
                               "remove_restore_points", "remove_app_networking", "detach_subnet_resource"})


@dataclass(frozen=True, slots=True)
class PlanStep:
    key: str  # unique in the plan; also the audit's name for the step
    kind: StepKind
    group: str  # the source group the step serves; "" when it serves every group
    args: tuple[tuple[str, str], ...]
    after: tuple[str, ...] = ()  # steps that must succeed first (fix steps, or validate:/move: steps)
    ended: tuple[str, ...] = ()  # steps that must have ended, whatever their outcome

    def arg(self, name: str, default: str = "") -> str:
        return next((v for k, v in self.args if k == name), default)

    def in_place(self) -> PlanStep:
        """The step as it applies where things still are when the move it follows did not happen: each
        argument `X` recorded with an `X_source` (its value in the source) takes that value."""
        kept = dict(self.args)
        return replace(self, args=tuple((k, kept.get(k + _SOURCE, v)) for k, v in self.args))

    @property
    def falls_back(self) -> bool:
        """Whether the step knows where to act when the move it follows did not happen (`in_place`)."""
        return any(k.endswith(_SOURCE) for k, _ in self.args)

    @property
    def phase(self) -> str:
        return str(_texts()[self.kind.value]["phase"])

    @property
    def text(self) -> str:
        return _fill(str(_texts()[self.kind.value]["text"]), self)

    @property
    def command(self) -> Script:
        """How to do it by hand: steps.json's argument template filled from the step's arguments."""
        return fill(_texts()[self.kind.value]["command"], _command_values(self))

    @property
    def source(self) -> str:
        return str(_texts()[self.kind.value]["source"])

    @property
    def warning(self) -> str:
        """What stops working from this step until a later one restores it ("" when nothing does)."""
        return _fill(str(_texts()[self.kind.value].get("warning") or ""), self)


@dataclass(frozen=True, slots=True)
class ChosenFix:
    """A finding's fix the engineer kept in the plan, with the group it was found in."""

    group: str
    action: str  # a FixAction value
    resource_ids: tuple[str, ...]
    command: Script
    reason: str = ""  # why the bot leaves it to the engineer, when it could do such fixes elsewhere
    holds: bool = False  # the group cannot move until the engineer has done it (a fix before the move)


@dataclass(frozen=True, slots=True)
class FixPlan:
    steps: tuple[PlanStep, ...]
    manual: tuple[ChosenFix, ...] = ()  # fixes the bot cannot do: they stay on the checklist



@cache
def _texts() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads(STEPS_FILE.read_text(encoding="utf-8"))["steps"]
    missing = {k.value for k in StepKind} - set(data)
    if missing:
        raise ValueError(f"{STEPS_FILE.name}: no texts for {sorted(missing)}")
    return data


@cache
def _messages() -> dict[str, str]:
    data: dict[str, str] = json.loads(STEPS_FILE.read_text(encoding="utf-8"))["messages"]
    return data


def message(name: str, **values: str) -> str:
    """A user-facing sentence about steps, from the data file."""
    return _messages()[name].format(**values)


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _fill(template: str, step: PlanStep) -> str:
    values = _Blank(step.args)
    if step.arg("ids"):  # a step that moves resources says which: "vm-1, disk-1 and nic-1"
        names = [ResourceId.parse(i).name if ResourceId.is_valid(i) else i for i in step.arg("ids").split()]
        values["names"] = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return template.format_map(values)


def _command_values(step: PlanStep) -> dict[str, Any]:
    """The step's arguments, and the lists its command template iterates over: the group tags as
    `key=value` arguments, the sites a certificate is bound to ("site|host|state" items)."""
    values: dict[str, Any] = dict(step.args)
    if step.arg("tags"):
        values["tag_pairs"] = [f"{k}={v}" for k, v in sorted(json.loads(step.arg("tags")).items())]
    bindings = [b.split("|") for b in step.arg("bindings").split()]
    values["bound_sites"] = list(dict.fromkeys(site for site, *_ in bindings))
    values["new_bindings"] = [{"site": site, "ssl_type": "IP" if rest[-1:] and rest[-1].lower() == "ipbasedenabled"
                               else "SNI"}
                              for site, *rest in bindings]
    if step.kind is StepKind.RECREATE_MANAGED_CERTIFICATE:
        if bindings:
            site = ResourceId.parse(bindings[0][0])
            values.update(create_site=site.name, create_group=site.resource_group,
                          create_subscription=site.subscription)
        values["properties"] = json.dumps({"canonicalName": step.arg("host"), "serverFarmId": step.arg("plan")})
    return values
