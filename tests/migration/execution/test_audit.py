"""The audit trail is evidence: hash-chained, append-only, decisions and their entries written together, and
an export that `tools.verify_audit` checks without the bot; an entry edited, removed or reordered (in the
store or in the file) is detected. On both stores: SQLite and Azure Table Storage (Azurite)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from migration.application.audit_export import AuditExports
from migration.execution.audit import TRAIL
from migration.execution.stored import REQUESTS, stored_to_json
from migration.execution.workflow import Workflow
from migration.model.records import AuditEntry
from migration.model.store import DocumentStore
from storage import open_store
from storage.reports import ReportLinks
from tests.support.moves import APPROVER_PERSON, approver_actor, requester_actor, submit_sample
from tools.verify_audit import verify


@pytest.fixture(params=["sqlite", "azure-table"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DocumentStore]:
    if request.param == "sqlite":
        opened = open_store(f"sqlite:///{tmp_path / 'bot.db'}")
    else:
        opened = open_store(f"azure-table://t{uuid.uuid4().hex[:12]}",
                            connection_string=request.getfixturevalue("azurite"))
    yield opened
    await opened.close()


async def _export(store: DocumentStore, request_id: str) -> list[str]:
    reports = ReportLinks(store)
    export = await AuditExports(Workflow(store), archive=reports).of_request(request_id, by=APPROVER_PERSON,
                                                                           tenant_id=None)
    assert export is not None
    rendered = await reports.resolve(export.link.token, "jsonl")
    assert rendered is not None and rendered.media_type.startswith("application/x-ndjson")
    return rendered.content.splitlines()


async def _decided(store: DocumentStore) -> str:
    workflow = Workflow(store)
    stored = await submit_sample(workflow)
    await workflow.approve(stored.id, requester_actor)  # refused: the requester's own
    await workflow.approve(stored.id, approver_actor)
    return stored.id


async def test_the_export_verifies_and_names_each_chain_head(store: DocumentStore):
    request_id = await _decided(store)
    lines = await _export(store, request_id)
    verdict = verify(lines)
    assert verdict.ok, verdict.problems
    manifest = json.loads(lines[0])["manifest"]
    chain = await Workflow(store).trail.chain(request_id)
    assert [link.entry.action for link in chain[:3]] == ["requested", "refused", "approved"]
    assert manifest["chains"] == {request_id: {"entries": 3, "head": chain[2].hash}} == verdict.heads
    assert chain[3].entry.action == "audit_exported" and chain[3].entry.by == APPROVER_PERSON, "the export is recorded"
    assert chain[3].prev == chain[2].hash


async def test_an_entry_edited_removed_or_reordered_in_the_store_is_detected(store: DocumentStore):
    request_id = await _decided(store)
    records = await store.list(TRAIL, prefix=request_id + "/")
    edited = {**records[1].value, "detail": {**records[1].value["detail"], "reason": "nothing to see"}}
    await store.put(TRAIL, records[1].key, edited)
    assert any("edited" in p for p in verify(await _export(store, request_id)).problems)

    await store.put(TRAIL, records[1].key, records[1].value)  # put back: the chain checks out again...
    assert verify(await _export(store, request_id)).ok
    await store.delete(TRAIL, records[1].key)  # ...then the refusal is removed
    assert any("removed" in p for p in verify(await _export(store, request_id)).problems)

    await store.put(TRAIL, records[1].key, records[2].value)  # the approval moved before where the refusal was
    await store.put(TRAIL, records[2].key, records[1].value)
    assert not verify(await _export(store, request_id)).ok


async def test_a_file_edited_cut_or_shuffled_is_detected(store: DocumentStore):
    lines = await _export(store, await _decided(store))
    manifest, *entries = lines
    approved = json.loads(entries[2])
    approved["by"]["name"] = "Someone Else"
    assert any("edited" in p for p in verify([manifest, entries[0], entries[1], json.dumps(approved)]).problems)
    assert any("removed" in p for p in verify([manifest, entries[0], entries[2]]).problems)
    assert not verify([manifest, entries[1], entries[0], entries[2]]).ok
    assert any("manifest says" in p for p in verify([manifest, entries[0], entries[1]]).problems), "the tail cut"


async def test_writers_racing_on_one_chain_never_fork_it(store: DocumentStore):
    workflow = Workflow(store)
    stored = await submit_sample(workflow)
    await asyncio.gather(*(workflow.audit(stored.id, "note", by=None, tenant_id=None, detail={"n": i})
                           for i in range(12)))
    chain = await workflow.trail.chain(stored.id)
    assert [link.seq for link in chain] == list(range(1, 14))
    assert sorted(link.entry.detail["n"] for link in chain[1:]) == list(range(12))
    assert verify(await _export(store, stored.id)).ok


async def test_a_decision_whose_entry_a_crash_left_unchained_is_chained_once(store: DocumentStore):
    workflow = Workflow(store)
    stored = await submit_sample(workflow)
    # What a process killed between the decision's write and the chain leaves: the entry with the decision.
    entry = AuditEntry(stored.id, "approved", workflow.now(), APPROVER_PERSON, None, {"to": "approved"},
                       event=uuid.uuid4().hex)
    record = await store.get(REQUESTS, stored.id)
    assert record is not None
    fresh = await workflow.get(stored.id)
    assert fresh is not None
    await store.put(REQUESTS, stored.id, stored_to_json(replace(fresh, unaudited=(entry,))), etag=record.etag)

    lines = await _export(store, stored.id)  # the export completes it first
    assert [json.loads(line)["action"] for line in lines[1:]] == ["requested", "approved"]
    again = await workflow.get(stored.id)
    assert again is not None and again.unaudited == ()
    await workflow.complete_audit(replace(again, unaudited=(entry,)))  # a second completer adds nothing
    actions = [link.entry.action for link in await workflow.trail.chain(stored.id)]
    assert actions.count("approved") == 1
