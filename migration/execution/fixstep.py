"""One fix or follow-through step as a unit of the move engine: recorded before its first call to Azure,
recorded again when it ends, audited on its own, and never done twice.

A step found `started` but not ended (the process died in between) is first checked against Azure
(`fixsteps.already_done`): if it took effect it is only recorded as done; otherwise it is carried out then.
Lost access to the tenant is not the step's failure: the caller's wait-for-access logic runs and the step
is tried again.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import replace

from migration.azure.permissions import allows, requirements
from migration.azure.ports import Gateway
from migration.execution.workflow import Workflow
from migration.fixes.carry import FixAzure, already_done, carry_out
from migration.model import ArmError, ArmErrorDetail, ResourceId, RoleMissing, TenantAccessDenied
from migration.model.plan import PlanStep, message
from migration.model.records import StepRecord, StepStatus, StoredRequest

Save = Callable[[str, Callable[[StoredRequest], StoredRequest | None]], Awaitable[StoredRequest]]
AccessLost = Callable[[StoredRequest, TenantAccessDenied], Awaitable[StoredRequest]]
AccessBack = Callable[[StoredRequest], Awaitable[StoredRequest]]


def _not_permitted_here(exc: TenantAccessDenied) -> bool:
    """No role for locks or role assignments (Contributor, or a Lighthouse delegation, which cannot grant
    Owner): waiting would not help, so the step fails and the report hands the engineer its command."""
    return isinstance(exc, RoleMissing) and (exc.action or "").lower().startswith("microsoft.authorization/")


def _record(stored: StoredRequest, record: StepRecord) -> StoredRequest:
    others = tuple(r for r in stored.step_records if r.key != record.key)
    return replace(stored, step_records=(*others, record))


def finished_steps(stored: StoredRequest) -> dict[str, bool]:
    """The fix steps a previous run ended (a resumed request goes on from there)."""
    return {r.key: r.status is StepStatus.SUCCEEDED for r in stored.step_records
            if r.status in (StepStatus.SUCCEEDED, StepStatus.FAILED, StepStatus.SKIPPED)}


class FixStepRunner:
    def __init__(self, workflow: Workflow, gateway: Gateway[FixAzure], *, save: Save, access_lost: AccessLost,
                 access_back: AccessBack) -> None:
        self._workflow = workflow
        self._gateway = gateway
        self._save = save
        self._access_lost = access_lost
        self._access_back = access_back

    async def run(self, stored: StoredRequest, step: PlanStep) -> bool:
        rid, azure = stored.id, self._gateway.for_tenant(stored.request.tenant_id)
        record = stored.step_record(step.key)
        if record is not None and record.status is not StepStatus.STARTED:
            return record.status is StepStatus.SUCCEEDED
        while True:
            try:
                if record is not None and await already_done(azure, step):
                    break  # it took effect before the process stopped: not done again
                if record is None:
                    record = StepRecord(step.key, StepStatus.STARTED, at=self._workflow.now())
                    stored = await self._save(rid, functools.partial(_record, record=record))  # before any call
                await carry_out(azure, step)
            except TenantAccessDenied as exc:
                if _not_permitted_here(exc) or await self._withheld(azure, exc):
                    await self._end(stored, step, StepStatus.FAILED, exc.error)
                    return False
                stored = await self._access_lost(stored, exc)
                continue
            except ArmError as exc:
                await self._end(stored, step, StepStatus.FAILED, exc.error)
                return False
            break
        await self._access_back(stored)
        await self._end(stored, step, StepStatus.SUCCEEDED, None)
        return True

    @staticmethod
    async def _withheld(azure: FixAzure, exc: TenantAccessDenied) -> bool:
        """The bot's role lets it move but withholds this one action (a custom role without the delete of
        certificates, say): waiting for access would never end, so the step fails with its command. When
        its permissions cannot be read, or do not even allow the move, access is lost: the caller waits."""
        if not isinstance(exc, RoleMissing) or not exc.action or not ResourceId.is_valid(exc.scope or ""):
            return False
        try:
            permissions = await azure.authorization.list_permissions(ResourceId.parse(exc.scope or "").subscription)
        except ArmError:  # access lost (TenantAccessDenied) or Azure unreachable
            return False
        move = next(r.action for r in requirements() if r.key == "move")
        return allows(permissions, move) and not allows(permissions, exc.action)

    async def skip(self, stored: StoredRequest, step: PlanStep, waited: str) -> None:
        kind, _, name = waited.partition(":")
        other = next((s for s in stored.fix_steps if s.key == waited), None)
        what = other.text if other is not None else f"the move of group {name}" if kind in ("move", "validate") \
            else waited
        error = ArmErrorDetail(code="DependencyFailed", message=message(
            "step_waits_for_step", waited=what))
        await self._end(stored, step, StepStatus.SKIPPED, error)

    async def _end(self, stored: StoredRequest, step: PlanStep, status: StepStatus,
                   error: ArmErrorDetail | None) -> None:
        record = StepRecord(step.key, status, error, self._workflow.now())
        entry = self._workflow.trail.entry(stored.id, "step", by=None, tenant_id=None, detail={
            "step": step.key, "kind": step.kind.value, "phase": step.phase, "status": status.value,
            "code": error.code if error else None})
        # The step's end and its audit entry in one write: a process stopped between the two would leave an
        # ended step that is never audited (a resumed run does not end it again); the chain takes it now, or
        # the next claim does.
        saved = await self._save(stored.id, lambda s: replace(_record(s, record), unaudited=(*s.unaudited, entry)))
        await self._workflow.complete_audit(saved)


async def verify(azure: FixAzure, stored: StoredRequest) -> frozenset[str]:
    """The follow-through steps that succeeded and that Azure confirms now (the lock is there, the role
    assignment exists, the tags are on the group): what the post-move checklist may tick."""
    ok = {r.key for r in stored.step_records if r.status is StepStatus.SUCCEEDED}
    confirmed = set()
    for step in stored.fix_steps:
        if step.phase != "after" or step.key not in ok:
            continue
        try:
            if await already_done(azure, step):
                confirmed.add(step.key)
        except ArmError:
            continue  # not confirmed: left unticked for the engineer
    return frozenset(confirmed)
