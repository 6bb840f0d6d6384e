"""The one count of a move: how many groups and how many top-level resources (what a move call carries;
children follow their parent). Every card and report counts through `tally` and `moved_tally`, so no two
of them can disagree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from migration.model.requests import GroupState


class Counted(Protocol):
    """A group of a move as plans, requests and reports hold it."""

    @property
    def state(self) -> GroupState: ...

    @property
    def resources(self) -> int: ...  # top-level resources

    @property
    def moved(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Tally:
    groups: int
    resources: int

    def said(self) -> str:
        """In words, e.g. 26 resources in 7 groups."""
        return f"{_plural(self.resources, 'resource')} in {_plural(self.groups, 'group')}"

    def moved_of(self, total: Tally) -> str:
        """This tally as the moved part of `total`, e.g. 18 of 24 resources, in 5 of 7 groups."""
        return (f"{self.resources:,} of {_plural(total.resources, 'resource')}, "
                f"in {self.groups:,} of {_plural(total.groups, 'group')}")


def tally(groups: Iterable[Counted]) -> Tally:
    """What these groups move."""
    listed = list(groups)
    return Tally(groups=len(listed), resources=sum(g.resources for g in listed))


def moved_tally(groups: Iterable[Counted]) -> Tally:
    """What has moved of these groups: the groups moved whole, the resources moved so far."""
    listed = list(groups)
    return Tally(groups=sum(1 for g in listed if g.state is GroupState.SUCCEEDED),
                 resources=sum(g.moved for g in listed))


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"
