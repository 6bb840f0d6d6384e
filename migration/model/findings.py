"""What the assessment concludes: findings, fixes, verdicts, group and subscription assessments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from migration.model.commands import Script
from migration.model.errors import ArmErrorDetail
from migration.model.resources import Resource, Subscription

# --------------------------------------------------------------------------- assessment


class Severity(StrEnum):
    BLOCKER = "blocker"  # cannot move short of redeploying
    FIX_FIRST = "fix_first"  # a step in the source subscription makes it movable
    AZURE_DECIDES = "azure_decides"  # Microsoft's table does not say: the dry run decides
    WARNING = "warning"  # moves, but something breaks or must be redone after
    INFO = "info"


class Verdict(StrEnum):
    READY = "ready"
    AZURE_DECIDES = "azure_decides"  # ready as far as the rules know, but a type the table does not list
    READY_AFTER_FIXES = "ready_after_fixes"
    BLOCKED = "blocked"


class FixAction(StrEnum):
    """What a fix does, by name: the runner of fixes maps each to its steps."""

    LIFT_READ_ONLY_LOCK = "lift_read_only_lock"
    CONSOLIDATE_DEPENDENCIES = "consolidate_dependencies"
    MOVE_APP_SERVICE_BACK = "move_app_service_back"
    DISASSOCIATE_PUBLIC_IP = "disassociate_public_ip"
    DISABLE_PEERING = "disable_peering"
    UNLINK_AUTOMATION_WORKSPACE = "unlink_automation_workspace"
    DELETE_SQL_IAAS_REGISTRATION = "delete_sql_iaas_registration"
    DISABLE_CUSTOMER_MANAGED_KEY = "disable_customer_managed_key"
    LEAVE_BEHIND_AND_RECREATE = "leave_behind_and_recreate"
    DETACH_SUBNET_RESOURCE = "detach_subnet_resource"
    DISABLE_DISK_ENCRYPTION = "disable_disk_encryption"
    REGISTER_PROVIDER = "register_provider"
    STOP_JOB = "stop_job"
    REMOVE_APP_NETWORKING = "remove_app_networking"
    RECREATE_MANAGED_CERTIFICATE = "recreate_managed_certificate"
    DISABLE_REPLICATION = "disable_replication"
    REMOVE_RESTORE_POINTS = "remove_restore_points"
    CONVERT_SNAPSHOT = "convert_snapshot"
    MANUAL = "manual"  # a step the engineer takes; the text says which


@dataclass(frozen=True, slots=True)
class Fix:
    """A finding's remedy in machine-readable form: what to do, to which resources, with which command."""

    action: FixAction
    resource_ids: tuple[str, ...]
    command: Script  # az CLI with the real names, each one argument
    source: str  # Microsoft page and section the step comes from
    after: Script = Script()  # the command to run in the target once moved (re-associate, re-register...)
    after_note: str = ""  # what to do after the move, in words (before `after`, when there is one)


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule's texts, loaded from the catalog data file (data over code)."""

    id: str  # G7, VM1, N1, ...
    title: str
    severity: Severity
    explanation: str
    remediation: str
    source: str  # documentation link


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    severity: Severity
    message: str  # plain short sentence naming the resource
    remediation: str
    source: str
    resource_id: str | None = None  # None for a group- or subscription-level finding
    resource_group: str | None = None
    fix: Fix | None = None


@dataclass(frozen=True, slots=True)
class ManualCheck:
    """A rule the data cannot decide: listed for the engineer, never silently dropped."""

    rule_id: str
    title: str
    how_to_check: str
    source: str


@dataclass(frozen=True, slots=True)
class Offer:
    quota_id: str
    name: str  # "Pay-As-You-Go", "Enterprise Agreement or Microsoft Customer Agreement", "CSP", ...
    category: str  # payg, open, ea, devtest, credit, csp, other
    source_allowed: bool
    target_allowed: bool
    note: str | None = None


@dataclass(frozen=True, slots=True)
class DryRun:
    """Azure's own answer (validateMoveResources) for one resource group."""

    resource_group: str
    target_group_id: str
    valid: bool
    errors: tuple[ArmErrorDetail, ...] = ()
    disagreement: str | None = None  # set when Azure and our rules disagree


@dataclass(frozen=True, slots=True)
class GroupAssessment:
    name: str
    verdict: Verdict
    resource_ids: tuple[str, ...]
    findings: tuple[Finding, ...]
    consolidate_with: tuple[str, ...] = ()  # groups holding dependencies that must join this one
    dry_run: DryRun | None = None

    @property
    def final_verdict(self) -> Verdict:
        """Azure's dry run wins where it disagrees: accepted is ready; refused is blocked unless the rules
        already say which fixes come first (Azure refuses until they are made)."""
        if self.dry_run is None:
            return self.verdict
        if self.dry_run.valid:
            return Verdict.READY
        return Verdict.READY_AFTER_FIXES if self.verdict is Verdict.READY_AFTER_FIXES else Verdict.BLOCKED

    @property
    def can_move(self) -> bool:
        """Offered for a move: ready, or a group only Azure can decide (its dry run comes before approval)."""
        return self.final_verdict in (Verdict.READY, Verdict.AZURE_DECIDES)

    @property
    def resource_count(self) -> int:
        return len(self.resource_ids)


@dataclass(frozen=True, slots=True)
class Assessment:
    tenant_id: str
    source: Subscription
    offer: Offer
    groups: tuple[GroupAssessment, ...]
    preconditions: tuple[Finding, ...]  # subscription-level: offer, state, tenant, target
    manual_checks: tuple[ManualCheck, ...]
    resources: tuple[Resource, ...] = field(default=(), repr=False)
    target: Subscription | None = None
    assessed_at: datetime | None = None
    catalog_source: str = ""  # which Microsoft page (and its date) the move-support facts come from

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.preconditions + tuple(f for g in self.groups for f in g.findings)

    @property
    def resource_count(self) -> int:
        """Counted from the groups: a stored assessment keeps them but not the per-resource inventory."""
        return sum(g.resource_count for g in self.groups) if self.groups else len(self.resources)
