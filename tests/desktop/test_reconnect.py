"""overpush-desktop keeps listening through a server crash: the api process (`overpush run`)
is SIGKILLed and started again, and the next message still arrives; a device deleted meanwhile
gets `E` at its next log-in, and the listener stops with advice and status 3."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from overpush.models import Device
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import delete

from testkit.procs import Proc, cli, env_for
from tests.desktop.support import Desktop

PASSWORD = "a long enough password"
pytestmark = pytest.mark.slow  # real `overpush` and `overpush-desktop` processes


@pytest.mark.timeout(240)
async def test_listen_survives_a_killed_api(settings: Settings, tmp_path: Path) -> None:
    env = env_for(settings)
    base = f"http://{settings.http_host}:{settings.http_port}"
    if not settings.is_sqlite:
        cli(env, "migrate")

    def start(n: int) -> Proc:
        proc = Proc(env, log=tmp_path / f"server{n}.log")
        proc.wait_healthy(base, timeout=60)
        return proc

    server = await asyncio.to_thread(start, 1)
    desk = Desktop(tmp_path / "desk")
    listening = None
    try:
        user = cli(env, "admin", "create-user", "ops@example.com", "--password-stdin",
                   stdin=PASSWORD + "\n")
        app = cli(env, "admin", "create-app", "ops@example.com", "Pager")
        await desk.login(base, "ops@example.com", PASSWORD, "--name", "laptop")
        listening = await desk.listen("--print", "--max-backoff", "2")
        await listening.wait_log("listening on")

        async def send(text: str) -> None:
            async with httpx.AsyncClient(timeout=10) as http:
                r = await http.post(f"{base}/1/messages.json", data={
                    "token": app["token"], "user": user["user_key"], "message": text})
                assert r.status_code == 200, r.text

        await send("before")
        assert (await listening.message())["message"] == "before"

        await asyncio.to_thread(server.kill)
        await listening.wait_log("connection lost")
        await listening.wait_log("reconnecting in")
        server = await asyncio.to_thread(start, 2)
        await send("after")
        assert (await listening.message(timeout=60))["message"] == "after"

        # Deleted while the server is down: the next log-in is refused with E.
        await asyncio.to_thread(server.kill)
        rt = Runtime.build(settings)
        try:
            async with rt.sessions() as s, s.begin():
                await s.execute(delete(Device).where(Device.name == "laptop"))
        finally:
            await rt.close()
        server = await asyncio.to_thread(start, 3)
        assert await listening.exit_status(timeout=60) == 3
        log = listening.log.read_text()
        assert "no longer accepts this device" in log and "overpush-desktop login" in log
    finally:
        if listening is not None:
            await listening.stop()
        await asyncio.to_thread(server.stop)
