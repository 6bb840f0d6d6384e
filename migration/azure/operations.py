"""Long-running operations: every `begin_*` call of the gateway returns an `ArmOperation`, whose
`continuation_token()` resumes it in another process and whose `wait()` returns when Azure says it ended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from azure.core.polling import AsyncLROPoller
from azure.mgmt.core.polling.async_arm_polling import AsyncARMPolling

from migration.azure.errors import maps_errors
from migration.model import ResourceId

Result = TypeVar("Result")


def _nothing(_: Any) -> None:
    return None


class WaitFirstPolling(AsyncARMPolling):
    """ARM's LRO polling, but the first status poll also waits the job's Retry-After.

    azure-core polls once straight after the 202, before any job can have finished; honouring Retry-After
    there halves the status reads of a dry run (they count against ARM's read throttle) and changes
    nothing else: the first poll that can see the job done is the one after Retry-After either way.
    Only for jobs just started: a resumed job is polled at once, its state being unknown.
    """

    async def run(self) -> None:
        if not self.finished():
            await self._delay()  # Retry-After (or retry-after-ms) of the 202, else the polling interval
        await super().run()


@dataclass(frozen=True, slots=True)
class ArmOperation(Generic[Result]):
    """A long-running operation Azure carries out (azure-core's LRO poller), or one that had nothing to do
    (`poller` None: `result` is the answer already)."""

    poller: AsyncLROPoller[Any] | None
    about: ResourceId | None = None  # what it acts on, named by its errors
    convert: Callable[[Any], Result] = _nothing  # type: ignore[assignment]  # only with Result None
    result: Result | None = None

    def continuation_token(self) -> str:
        if self.poller is None:
            raise ValueError("the operation had nothing to do: there is nothing to resume")
        return self.poller.continuation_token()

    @maps_errors(about="self.about")
    async def wait(self) -> Result:
        """Return when Azure reports success (with what it answered); raise `ArmError` when it reports failure."""
        if self.poller is None:
            return self.result  # type: ignore[return-value]  # set whenever there is no poller
        return self.convert(await self.poller.result())


def done(result: Result, *, about: ResourceId | None = None) -> ArmOperation[Result]:
    """An operation Azure did not need to carry out: the thing was already as asked."""
    return ArmOperation(None, about, result=result)
