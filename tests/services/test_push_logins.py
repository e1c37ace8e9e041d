"""Log-ins to /push that arrive together are checked in one batch: each still gets its own
answer ('!' for a good device and secret, 'E' for anything else), and last_seen_at is written
for the good ones."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import FrameType
from typing import Any

import httpx
import websockets
from overpush.models import Device
from sqlalchemy import select

from services.api.push_login import parse
from services.api.service import ApiService
from services.runner import Runner
from tests.factories import user_with_device


async def _first_frame(ws_url: str, frame: str) -> bytes:
    async with websockets.connect(ws_url, compression=None) as ws:
        await ws.send(frame)
        data = await asyncio.wait_for(ws.recv(), 10)
        assert isinstance(data, bytes)
        return data


async def test_log_ins_at_once_each_get_their_own_answer(
    server: Runner, base_url: str, http: httpx.AsyncClient
) -> None:
    a = await user_with_device(server.rt, base_url, http, name="a")
    b = await user_with_device(server.rt, base_url, http, name="b")
    frames = {
        "a": f"login:{a.device_id}:{a.secret}\n",
        "b": f"login:{b.device_id}:{b.secret}",
        "a with b's secret": f"login:{a.device_id}:{b.secret}",
        "unknown device": f"login:{'x' * 40}:{a.secret}",
        "bad secret": f"login:{b.device_id}:nope",
        "not a log-in": "hello",
        "empty secret": f"login:{a.device_id}:",
    }
    answers = await asyncio.gather(*(_first_frame(a.ws_url, f) for f in frames.values()))
    assert dict(zip(frames, answers, strict=True)) == {
        "a": b"!", "b": b"!", "a with b's secret": b"E", "unknown device": b"E",
        "bad secret": b"E", "not a log-in": b"E", "empty secret": b"E"}
    async with server.rt.sessions() as session:
        rows = (await session.execute(select(Device.public_id, Device.last_seen_at).where(
            Device.public_id.in_([a.device_id, b.device_id])))).all()
    seen = {public_id: at for public_id, at in rows}
    assert all(seen[d] is not None for d in (a.device_id, b.device_id))


async def test_a_disabled_device_cannot_log_in(
    server: Runner, base_url: str, http: httpx.AsyncClient
) -> None:
    dev = await user_with_device(server.rt, base_url, http)
    async with server.rt.sessions() as session, session.begin():
        device = await session.scalar(select(Device).where(Device.public_id == dev.device_id))
        assert device is not None
        device.enabled = False
    assert await _first_frame(dev.ws_url, f"login:{dev.device_id}:{dev.secret}") == b"E"


def test_parse_takes_only_a_plausible_log_in_frame() -> None:
    assert parse("login:" + "a1" * 20 + ":s3cret\n") is not None
    for frame in ("login:ABC:s", "login:" + "a" * 41 + ":s", "login:a:b:c", "logout:a:b", ""):
        assert parse(frame) is None


def _frames(task: asyncio.Task[None]) -> Iterator[FrameType]:
    """The frames of a task's coroutine chain, outermost first."""
    coro: Any = task.get_coro()
    while coro is not None and getattr(coro, "cr_frame", None) is not None:
        yield coro.cr_frame
        coro = coro.cr_await


async def test_a_held_connection_keeps_no_copy_of_its_log_in_frame(
    server: Runner, base_url: str, http: httpx.AsyncClient
) -> None:
    """The log-in frame holds the session secret: once the device is logged in, no frame of
    its connection's task keeps it (and idle sockets are what an api process is made of)."""
    dev = await user_with_device(server.rt, base_url, http)
    api = next(s for s in server.services if isinstance(s, ApiService))
    assert api._server is not None
    async with websockets.connect(dev.ws_url, compression=None) as ws:
        await ws.send(f"login:{dev.device_id}:{dev.secret}\n")
        assert await asyncio.wait_for(ws.recv(), 10) == b"!"
        tasks = [t for t in api._server.server_state.tasks
                 if "run_asgi" in repr(t.get_coro())]
        assert len(tasks) == 1
        frames = list(_frames(tasks[0]))
        assert any(f.f_code.co_name == "__call__" and "device_id" in f.f_locals
                   for f in frames)  # PushEndpoint's frame, holding the connection
        assert not [(f.f_code.co_name, name) for f in frames for name, v in f.f_locals.items()
                    if dev.secret in repr(v)]
