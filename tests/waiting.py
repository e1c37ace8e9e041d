"""Waiting for a condition in async tests: a hang guard with a message, not a timing check."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def until(cond: Callable[[], T], what: str = "the awaited condition",
                timeout: float = 15) -> T:
    """Wait until `cond()` is truthy and return that value; fail with `what` if it is not
    within `timeout` seconds (for what other parties do: there is no event to await)."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                if value := cond():
                    return value
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not in {timeout}s: {what}") from None


async def until_awaited(check: Callable[[], Awaitable[T]], what: str = "the awaited condition",
                        timeout: float = 20) -> T:
    """As `until`, for a condition that must itself be awaited (a query, an HTTP call)."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                if value := await check():
                    return value
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"not in {timeout}s: {what}") from None
