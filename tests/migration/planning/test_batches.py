"""Move batches: at most 800 (or the configured size) per call, dependents together, stable order."""

from __future__ import annotations

import pytest

from migration.planning.batches import MAX_BATCH, PlanError, plan_batches


def _ids(n: int) -> list[str]:
    return [f"/subscriptions/s/resourceGroups/g/providers/Microsoft.Storage/storageAccounts/st{i}" for i in range(n)]


def test_splits_into_calls_of_at_most_800_in_order():
    ids = _ids(1801)
    batches = plan_batches("g", ids)
    assert [len(b.resource_ids) for b in batches] == [800, 800, 201]
    assert [i for b in batches for i in b.resource_ids] == ids
    assert [b.index for b in batches] == [0, 1, 2]


def test_resources_that_must_move_together_stay_in_one_call():
    ids = _ids(5)
    batches = plan_batches("g", ids, together=[[ids[1], ids[4]], [ids[4], ids[3]]], max_size=3)
    by_batch = [set(b.resource_ids) for b in batches]
    assert any({ids[1], ids[3], ids[4]} <= b for b in by_batch)
    assert sorted(i for b in batches for i in b.resource_ids) == sorted(ids)
    assert all(len(b.resource_ids) <= 3 for b in batches)


def test_the_same_input_gives_the_same_plan_and_duplicates_count_once():
    ids = _ids(10)
    assert plan_batches("g", ids + ids[:2], max_size=4) == plan_batches("g", ids, max_size=4)


def test_refuses_impossible_plans():
    with pytest.raises(PlanError):
        plan_batches("g", _ids(3), max_size=MAX_BATCH + 1)
    ids = _ids(4)
    with pytest.raises(PlanError):
        plan_batches("g", ids, together=[ids], max_size=3)
