"""Azure calls side by side, none left behind: the first failure cancels the others and is raised once they
have ended, so no call goes on (or fails unobserved) after its caller gave up on the lot."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any


async def together(*calls: Awaitable[Any]) -> list[Any]:
    """`asyncio.gather(*calls)`, but a failure cancels the calls still running and waits for them."""
    tasks = [asyncio.ensure_future(call) for call in calls]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
