"""A desktop device that runs on its own: follows every '!' with a download and a delete, and
records everything it downloaded (duplicates too) for the ledger to count afterwards."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed

from testkit.device import DesktopDevice


@dataclass(frozen=True)
class Seen:
    """One message as one download returned it."""

    delivery_id: int  # the per-device `id`: a new one for the same umid is a re-alert
    umid: int
    text: str
    priority: int
    receipt: str


@dataclass
class Watcher:
    device: DesktopDevice
    user_index: int
    api: str  # which api instance holds its WebSocket
    seen: list[Seen] = field(default_factory=list)
    nudges: int = 0
    syncs: int = 0
    errors: list[str] = field(default_factory=list)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"user{self.user_index}/{self.device.name}@{self.api}"

    async def start(self, http: httpx.AsyncClient) -> None:
        await self.device.connect()  # the server says '!' right after log-in
        self._wake.set()
        self._tasks = [asyncio.create_task(self._read(), name=f"read {self.name}"),
                       asyncio.create_task(self._sync(http), name=f"sync {self.name}")]

    async def _read(self) -> None:
        assert self.device.ws is not None
        try:
            async for frame in self.device.ws:
                if frame == b"!":
                    self.nudges += 1
                    self._wake.set()
                elif frame != b"#":
                    self.errors.append(f"unexpected frame {frame!r}")
        except ConnectionClosed as exc:
            self.errors.append(f"websocket closed: {exc!r}")

    async def _sync(self, http: httpx.AsyncClient) -> None:
        """Nudges that come while a sync runs fold into one more sync, as real clients do."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                messages = await self.device.download(http)
                if messages:
                    await self.device.delete_up_to(http, max(m["id"] for m in messages))
            except (httpx.HTTPError, AssertionError) as exc:
                self.errors.append(f"sync failed: {exc!r}")
                self._wake.set()  # try again: the messages are still queued
                await asyncio.sleep(0.5)
                continue
            self.syncs += 1
            self.seen.extend(_seen(m) for m in messages)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.device.close()

    def texts(self) -> set[str]:
        return {s.text for s in self.seen}

    def deliveries_of(self, umid: int) -> set[int]:
        return {s.delivery_id for s in self.seen if s.umid == umid}


def _seen(m: dict[str, Any]) -> Seen:
    return Seen(int(m["id"]), int(m["umid"]), str(m["message"]), int(m["priority"]),
                str(m.get("receipt", "")))
