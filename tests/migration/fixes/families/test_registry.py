"""The fix families' registry: a forgotten registration fails here, not in a customer's move."""

from __future__ import annotations

import json

from migration.fixes.families import AUTOMATIC_ACTIONS, BY_ACTION, FAMILIES, SPECS, labels
from migration.model import FixAction
from migration.model.plan import TEXTS_DIR, PlanStep, StepKind


def test_every_step_kind_has_exactly_one_family_that_carries_it_out_and_knows_when_it_is_done() -> None:
    owners = {k: [f.name for f in FAMILIES for s in f.steps if s.kind is k] for k in StepKind}
    assert {k: names for k, names in owners.items() if len(names) != 1} == {}
    assert all(callable(SPECS[k].carry) and callable(SPECS[k].done) for k in StepKind)


def test_every_automatic_fix_action_has_one_planner_and_is_a_rules_action() -> None:
    owners = {a: [f.name for f in FAMILIES if a in f.actions] for a in AUTOMATIC_ACTIONS}
    assert {a: names for a, names in owners.items() if len(names) != 1} == {}
    assert all(BY_ACTION[a].plan is not None for a in AUTOMATIC_ACTIONS)
    assert AUTOMATIC_ACTIONS <= {a.value for a in FixAction}
    assert all(f.plan is None for f in FAMILIES if not f.actions), "a planner no fix action reaches"


def test_each_family_has_its_texts_in_its_own_file_and_a_label_for_each_fix_it_makes() -> None:
    assert sorted(p.name for p in TEXTS_DIR.glob("*.json")) == sorted(f"{f.name}.json" for f in FAMILIES)
    for family in FAMILIES:
        texts = json.loads(family.texts.read_text(encoding="utf-8"))
        assert set(texts["steps"]) == {s.kind.value for s in family.steps}, family.name
        assert set(texts.get("labels", {})) == set(family.actions), family.name
        for kind, text in texts["steps"].items():
            assert text["phase"] in ("before", "after"), kind
            assert text["source"].startswith("https://learn.microsoft.com/"), kind
    assert list(labels()) == [a for f in FAMILIES for a in f.actions]


def test_what_a_step_deletes_or_makes_again_is_one_of_its_arguments_and_only_before_or_after_the_moves() -> None:
    for kind, spec in SPECS.items():
        phase = PlanStep("k", kind, "", ()).phase
        assert not spec.deletes or phase == "before", kind
        assert not (spec.remakes or spec.anchors) or phase == "after", kind
        assert not spec.leaves_moves or spec.deletes, kind
