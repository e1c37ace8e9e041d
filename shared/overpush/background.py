"""A service's long-running asyncio task, started and stopped with the service."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


def stopping() -> bool:
    """Whether the running task has been asked to stop. A loop must ask, at each turn and
    when it catches Exception: a cancellation can be lost on the way (Python 3.11's
    asyncio.wait_for drops one that arrives as the awaited thing completes; a library may
    turn one into an ordinary error), and a loop that then went on would never stop."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


class Background:
    """Subclasses implement `_run` (a loop) and name their task; start and stop are shared."""

    task_name = "background"
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.task_name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        raise NotImplementedError


class Repeat(Background):
    """Runs `step` over and over: again at once while it reports more work (True), after
    `idle()` otherwise. A step that fails is logged and tried again after `pause` seconds:
    the database or the bus may be briefly away. With `idle_first`, the first step waits
    for `idle()` too (the service did that work as it started, or there is none yet)."""

    def __init__(self, name: str, step: Callable[[], Awaitable[bool]],
                 idle: Callable[[], Awaitable[None]], pause: float = 1.0,
                 idle_first: bool = False) -> None:
        self.task_name = name
        self._step, self._idle, self._pause = step, idle, pause
        self._idle_first = idle_first

    async def _run(self) -> None:
        if self._idle_first:
            await self._idle()
        while True:
            if stopping():
                raise asyncio.CancelledError
            try:
                busy = await self._step()
            except asyncio.CancelledError:
                raise
            except Exception:
                if stopping():
                    raise asyncio.CancelledError from None
                log.warning("%s step failed; retrying", self.task_name, exc_info=True)
                busy = False
                await asyncio.sleep(self._pause)
            if not busy:
                await self._idle()
