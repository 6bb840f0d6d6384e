"""The one count of groups and top-level resources, and how it is said."""

from __future__ import annotations

from dataclasses import replace

from migration.model import GroupState
from migration.model.tally import Tally, moved_tally, tally
from tests.support.moves import sample_groups


def test_a_plan_counts_its_groups_and_their_top_level_resources() -> None:
    groups = sample_groups(3, per_group=4)
    assert tally(groups) == Tally(groups=3, resources=12)
    assert tally(groups).said() == "12 resources in 3 groups"
    assert Tally(1, 1).said() == "1 resource in 1 group"
    assert tally(()).said() == "0 resources in 0 groups"


def test_what_moved_is_said_as_part_of_the_whole() -> None:
    a, b, c = sample_groups(3, per_group=4)
    groups = (replace(a, state=GroupState.SUCCEEDED, moved_count=4), replace(b, state=GroupState.FAILED, moved_count=1),
              c)
    assert moved_tally(groups) == Tally(groups=1, resources=5)
    assert moved_tally(groups).moved_of(tally(groups)) == "5 of 12 resources, in 1 of 3 groups"
    assert Tally(1200, 0).said() == "0 resources in 1,200 groups"
