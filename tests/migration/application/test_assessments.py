"""Assessing through the assessments service: always in the worker pool, whose processes build their own
gateway (from the sandbox's spec) and store; the latest assessment is read back with its export's link."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from migration.application.assessments import SubscriptionAssessments
from migration.model import TenantAccessDenied
from storage import SqliteDocumentStore
from storage.assessments import StoredAssessments
from tests.support.sandbox import CSP, FABRIKAM, NORTHWIND, PAYG, gateway_spec
from workers.assessment import AssessmentWorkers, WorkerSettings

ENGINEER = "00000000-0000-4000-8000-0000000000e1"


@pytest.fixture
async def pool(tmp_path: Path, sandbox: Any) -> AsyncIterator[AssessmentWorkers]:
    workers = AssessmentWorkers(WorkerSettings(gateway_spec(sandbox), f"sqlite:///{tmp_path / 'bot.db'}"),
                                processes=1)
    yield workers
    await workers.close()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteDocumentStore]:
    opened = SqliteDocumentStore(tmp_path / "bot.db")
    yield opened
    await opened.close()


async def test_an_assessment_runs_in_a_worker_and_hands_its_export_link_once(pool, store):
    service = SubscriptionAssessments(pool=pool, latest=StoredAssessments(store))
    seen: list[tuple[int, int | None]] = []

    async def progress(done: int, total: int | None) -> None:
        seen.append((done, total))

    assessed = await service.assess(FABRIKAM, PAYG, by=ENGINEER, on_progress=progress)
    assert assessed.assessment.source.id == PAYG and assessed.assessment.groups
    assert assessed.report is not None and assessed.report.expires_at > datetime.now(UTC)
    assert assessed.assessment.resources == (), "the latest is kept without its per-resource inventory"
    latest = await service.latest(FABRIKAM, PAYG)
    assert latest is not None and latest.report is None, "the link is handed once: the store keeps no token"
    assert assessed.report.token not in json.dumps([r.value for r in await store.list("assessments")])

    # Against a target (a move being planned) no export is made, and the old link goes with the old result.
    planned = await service.assess(FABRIKAM, PAYG, by=ENGINEER, target_subscription_id=CSP, with_report=False)
    assert planned.report is None and planned.assessment.target is not None
    assert (await service.latest(FABRIKAM, PAYG)).report is None  # type: ignore[union-attr]


async def test_an_expired_export_link_is_not_offered(pool, store):
    assessed = await SubscriptionAssessments(pool=pool, latest=StoredAssessments(store)).assess(
        FABRIKAM, PAYG, by=ENGINEER)
    assert assessed.report is not None
    later = SubscriptionAssessments(pool=pool, latest=StoredAssessments(store),
                                    clock=lambda: assessed.report.expires_at + timedelta(seconds=1))  # type: ignore
    latest = await later.latest(FABRIKAM, PAYG)
    assert latest is not None and latest.report is None
    await later.replace(replace(latest.assessment, groups=latest.assessment.groups[:1]))
    assert len((await later.latest(FABRIKAM, PAYG)).assessment.groups) == 1  # type: ignore[union-attr]


async def test_azures_refusal_in_the_worker_reaches_the_caller_as_the_domains_error(pool, store):
    service = SubscriptionAssessments(pool=pool, latest=StoredAssessments(store))
    with pytest.raises(TenantAccessDenied):
        await service.assess(NORTHWIND, PAYG, by=ENGINEER)  # Fabrikam's subscription, asked for in another tenant
