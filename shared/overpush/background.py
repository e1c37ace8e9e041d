"""A service's long-running asyncio task, started and stopped with the service."""

from __future__ import annotations

import asyncio


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
