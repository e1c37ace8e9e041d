"""Waiting for a condition in async tests: a hang guard with a message, not a timing check."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


async def until(cond: Callable[[], bool], what: str, timeout: float = 15) -> None:
    """Wait for `cond`; fail with `what` if it does not come true within `timeout`."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                if cond():
                    return
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not in {timeout}s: {what}") from None
