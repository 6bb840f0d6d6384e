"""When a read of the assessment fails, its error names the subscription it is about, and the reads still on
their way stop with it: nothing goes on failing unobserved behind the engineer's card."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

from migration.assessment.assess import assess
from migration.model import NotFound, ResourceId
from tests.support.sandbox import FABRIKAM, PAYG

MISSING = "dddddddd-0000-4000-8000-000000000000"  # no such subscription in the tenant


@pytest.fixture
async def loop_errors() -> Any:
    """What the event loop reports about exceptions nobody retrieved (asyncio's 'never retrieved')."""
    loop = asyncio.get_running_loop()
    seen: list[str] = []
    previous = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: seen.append(str(context.get("message"))))
    yield seen
    loop.set_exception_handler(previous)


async def test_a_missing_target_is_named_and_the_source_reads_stop_with_it(sandbox, gateway, loop_errors):
    # The source inventory fails too, a little later (Resource Graph throttles it past every retry).
    sandbox.set_faults(rate_429=1.0, retry_after=0.01, operations=("Resources",))
    about: object = "nothing raised"
    try:
        await assess(gateway, tenant_id=FABRIKAM, source_subscription_id=PAYG, target_subscription_id=MISSING)
    except NotFound as exc:  # not kept past here: its traceback would keep the abandoned reads alive
        about = getattr(exc, "about", None)
    assert about == ResourceId(MISSING), "the error names the target, not the source"

    await asyncio.sleep(1.0)  # long enough for the source's reads to have failed, had they gone on
    gc.collect()
    await asyncio.sleep(0)
    assert not [m for m in loop_errors if "never retrieved" in m], loop_errors
    sandbox.set_faults(rate_429=0.0)
    # Nothing of that assessment is left running: the inventory is read at once, and only once.
    sandbox.reset_stats()
    await gateway.for_tenant(FABRIKAM).inventory.list_resources(PAYG)
    assert sandbox.stats()["by_operation"] == {"Resources": 1}

