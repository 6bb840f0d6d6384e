"""The vocabulary of a move plan's steps: their kinds, the step itself, and their texts.

A step's user-facing text, command template and Microsoft source live in its fix family's data file
(`data/fixes/<family>.json`, keyed by kind; the format in `data/steps.json`); the families
(`migration.fixes.families`) plan steps and carry them out, and `migration.fixes.families.command` fills a
step's command (some families add the lists their templates iterate over).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cache
from typing import Any

from migration import DATA_DIR
from migration.model.commands import Script
from migration.model.ids import ResourceId

STEPS_FILE = DATA_DIR / "steps.json"  # the format of the texts, and the messages no family owns
TEXTS_DIR = DATA_DIR / "fixes"  # one file a fix family: its fixes' labels, its steps' texts, its messages
_SOURCE = "_source"  # the suffix of an argument's value where things are when a move did not happen


class StepKind(StrEnum):
    """Every kind of step, stored with each step of a request; each belongs to one fix family."""

    # By family (migration/fixes/families/<family>.py, which says what each does).
    LIFT_LOCK = "lift_lock"  # locks
    RESTORE_LOCK = "restore_lock"
    REGISTER_PROVIDER = "register_provider"  # providers
    CONSOLIDATE = "consolidate"  # consolidation
    MOVE_APP_BACK = "move_app_back"
    DISASSOCIATE_IP = "disassociate_ip"  # public_ips
    REASSOCIATE_IP = "reassociate_ip"
    DELETE_PEERING = "delete_peering"  # peerings
    RECREATE_PEERING = "recreate_peering"
    UNLINK_WORKSPACE = "unlink_workspace"  # workspace_links
    RELINK_WORKSPACE = "relink_workspace"
    DELETE_SQL_REGISTRATION = "delete_sql_registration"  # sql_registrations
    REGISTER_SQL_VM = "register_sql_vm"
    DELETE_MANAGED_CERTIFICATE = "delete_managed_certificate"  # managed_certificates
    RECREATE_MANAGED_CERTIFICATE = "recreate_managed_certificate"
    STOP_JOB = "stop_job"  # stream_jobs
    START_JOB = "start_job"
    DISK_TO_PLATFORM_KEY = "disk_to_platform_key"  # disk_keys
    DISK_TO_CUSTOMER_KEY = "disk_to_customer_key"
    DISK_KEY_IN_PLACE = "disk_key_in_place"
    DELETE_RESTORE_POINTS = "delete_restore_points"  # restore_points
    REMOVE_VNET_INTEGRATION = "remove_vnet_integration"  # app_networking
    ADD_VNET_INTEGRATION = "add_vnet_integration"
    DETACH_NAT_GATEWAY = "detach_nat_gateway"
    REATTACH_NAT_GATEWAY = "reattach_nat_gateway"
    TAG_GROUP = "tag_group"  # group_tags
    TAG_SUBSCRIPTION = "tag_subscription"  # subscription_tags
    CREATE_BUDGET = "create_budget"  # budgets
    CREATE_DIAGNOSTIC_SETTING = "create_diagnostic_setting"  # diagnostic_settings
    ENABLE_DEFENDER_PLAN = "enable_defender_plan"  # defender
    SET_SECURITY_CONTACT = "set_security_contact"
    ADD_ASSIGNABLE_SCOPE = "add_assignable_scope"  # role_assignments
    RECREATE_ASSIGNMENT = "recreate_assignment"


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
    def template(self) -> Any:
        """The argument template of its command by hand (`migration.fixes.families.command` fills it)."""
        return _texts()[self.kind.value]["command"]

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
    # After the moves: the source group whose move it follows. When that move did not happen the fix is moot,
    # or, when `stayed_reason` is set, that and `stayed_command` say what to do where the resource stayed.
    follows: str = ""
    stayed_reason: str = ""
    stayed_command: Script = Script()

    def as_things_stand(self, *, moved: bool) -> ChosenFix | None:
        """The fix once the move it follows ended: as planned when it happened; else what to do where the
        resource stayed, or None when nothing is left to do."""
        if moved or not self.follows:
            return self
        if not self.stayed_reason:
            return None
        return replace(self, command=self.stayed_command, reason=self.stayed_reason, follows="", stayed_reason="",
                       stayed_command=Script())


@dataclass(frozen=True, slots=True)
class FixPlan:
    steps: tuple[PlanStep, ...]
    manual: tuple[ChosenFix, ...] = ()  # fixes the bot cannot do: they stay on the checklist


def _family_files() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(TEXTS_DIR.glob("*.json"))]


def _merged(part: str, found: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for data in found:
        twice = set(out) & set(data.get(part, {}))
        if twice:
            raise ValueError(f"{TEXTS_DIR.name}/: {part} {sorted(twice)} in more than one file")
        out.update(data.get(part, {}))
    return out


@cache
def _texts() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = _merged("steps", _family_files())
    missing = {k.value for k in StepKind} - set(data)
    if missing:
        raise ValueError(f"{TEXTS_DIR.name}/: no texts for {sorted(missing)}")
    return data


@cache
def _messages() -> dict[str, str]:
    own = json.loads(STEPS_FILE.read_text(encoding="utf-8"))
    data: dict[str, str] = _merged("messages", [own, *_family_files()])
    return data


def message(name: str, **values: str) -> str:
    """A user-facing sentence about steps, from the data files (steps.json, or its family's)."""
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

