"""The lean WebSocket protocol's queue and write gate keep asyncio.Queue's and Event's
contracts, and Connections sends a frame at once where it can, through a task where not."""

from __future__ import annotations

import asyncio

from overpush.metrics import Metrics

from services.api.connections import Connections
from services.api.lean_ws import Inbox, Writable


async def test_inbox_hands_items_over_in_order_and_wakes_a_waiting_reader() -> None:
    inbox = Inbox(asyncio.get_running_loop())
    assert inbox.empty()
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    assert not reader.done()
    inbox.put_nowait({"n": 1})
    inbox.put_nowait({"n": 2})
    assert await reader == {"n": 1}
    assert not inbox.empty()
    assert await inbox.get() == {"n": 2}
    assert inbox.empty()


async def test_a_cancelled_reader_leaves_the_inbox_usable() -> None:
    inbox = Inbox(asyncio.get_running_loop())
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    reader.cancel()
    await asyncio.gather(reader, return_exceptions=True)
    inbox.put_nowait("later")
    assert await inbox.get() == "later"


async def test_writable_blocks_while_cleared_and_releases_every_waiter_on_set() -> None:
    gate = Writable(asyncio.get_running_loop())
    assert gate.is_set()
    await gate.wait()  # open: returns at once
    gate.clear()
    waiters = [asyncio.create_task(gate.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    assert not any(w.done() for w in waiters)
    gate.set()
    await asyncio.gather(*waiters)
    assert gate.is_set()


class FakeSocket:
    """A connection whose transport is paused (`now` False) or not."""

    def __init__(self, ident: str, now: bool) -> None:
        self.ident, self.now = ident, now
        self.written: list[bytes] = []
        self.sent: list[bytes] = []

    def send_now(self, data: bytes) -> bool:
        if self.now:
            self.written.append(data)
        return self.now

    async def send_bytes(self, data: bytes) -> None:
        self.sent.append(data)

    async def close(self) -> None:
        pass


async def test_frames_go_at_once_where_they_can_and_through_the_send_path_elsewhere() -> None:
    conns = Connections(Metrics())
    ready, paused = FakeSocket("r", True), FakeSocket("p", False)
    conns.add("dev1", ready)
    conns.add("dev2", paused)
    assert await conns.broadcast(b"#") == 2
    assert (ready.written, ready.sent) == ([b"#"], [])
    assert (paused.written, paused.sent) == ([], [b"#"])
    assert await conns.send(["dev1", "dev2"], b"!", spare="p") == 1
    assert ready.written == [b"#", b"!"] and paused.sent == [b"#"]
