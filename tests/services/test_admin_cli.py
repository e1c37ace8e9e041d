"""`overpush admin` as an operator runs it, in its own process, next to a running server on
both backends: list users and applications, send a test, reset 2FA, delete an app and a user."""

from __future__ import annotations

import asyncio
import json
import subprocess
from typing import Any

import httpx
import pytest
import websockets
from overpush.models import App, Device, Message, RecoveryCode, User
from overpush.settings import Settings
from sqlalchemy import select, update

from services.admin import teams as admin_teams
from services.runner import Runner
from testkit.procs import OVERPUSH, env_for
from tests.checks import count
from tests.factories import Person, make_app, make_user, user_with_device

# One real `overpush` process per command: seconds each on a busy machine.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


# The commands run in a thread: the server shares this event loop, and a command waiting on
# a database lock the blocked server holds would wait forever.
async def run(env: dict[str, str], *args: str) -> dict[str, Any]:
    """Runs a command that must succeed; the JSON it printed."""
    out = await asyncio.to_thread(subprocess.run, [OVERPUSH, *args], env=env,
                                  capture_output=True, text=True, timeout=300,
                                  stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stdout + out.stderr
    answer: dict[str, Any] = json.loads(out.stdout)
    return answer


async def refused(env: dict[str, str], *args: str) -> str:
    """Runs a command that must be refused (exit 1, nothing done); returns what it printed."""
    out = await asyncio.to_thread(subprocess.run, [OVERPUSH, *args], env=env,
                                  capture_output=True, text=True, timeout=300,
                                  stdin=subprocess.DEVNULL)
    assert out.returncode == 1 and out.stdout.startswith('{"status": 0'), \
        out.stdout + out.stderr
    return out.stdout


async def test_list_send_reset_delete(server: Runner, settings: Settings, ann: Person,
                                      token: str, http: httpx.AsyncClient,
                                      base_url: str) -> None:
    rt, env = server.rt, env_for(settings)

    users = {u["email"]: u for u in (await run(env, "admin", "list-users"))["users"]}
    mine = users[ann.account.email]
    # Ann: her key, "Backups" and the E-mail gateway's application, one device.
    assert mine["user_key"] == ann.key and mine["devices"] == 1 and mine["apps"] == 2
    assert mine["confirmed"] is True and mine["two_factor"] is False
    apps = await run(env, "admin", "list-apps", ann.account.email.upper())
    assert {"Backups": token} == {a["name"]: a["token"] for a in apps["apps"]
                                  if a["name"] == "Backups"}
    assert all(a["monthly_limit"] == settings.app_monthly_limit for a in apps["apps"])

    # A test message goes through the intake: checked, stored, delivered by the server.
    sent = await run(env, "admin", "send", token, ann.key, "from the command line",
                     "--title", "CLI")
    assert sent["status"] == 1 and sent["messages"] == 1
    [got] = await ann.device.receive(http)
    assert (got["message"], got["title"], got["app"]) == ("from the command line", "CLI",
                                                          "Backups")
    assert "message cannot be blank" in await refused(env, "admin", "send", token, ann.key, "")
    assert "user identifier is not a valid" in await refused(env, "admin", "send", token, "nobody",
                                                       "x")

    # 2FA reset: the secret and the recovery codes go, log-in takes the password alone.
    async with rt.sessions() as session, session.begin():
        uid = await session.scalar(select(User.id).where(User.user_key == ann.key))
        await session.execute(update(User).where(User.id == uid).values(
            totp_enabled=True, totp_secret="JBSWY3DPEHPK3PXP"))
        session.add(RecoveryCode(user_id=uid, digest="x" * 64, created_at=rt.clock.now()))
    login = {"email": ann.account.email, "password": ann.account.password}
    assert (await http.post(f"{base_url}/1/users/login.json", data=login)).status_code == 412
    out = await run(env, "admin", "reset-2fa", ann.account.email)
    assert out == {"email": ann.account.email, "two_factor": False, "was_enabled": True}
    assert await count(rt, RecoveryCode) == 0
    assert (await http.post(f"{base_url}/1/users/login.json", data=login)).status_code == 200

    # Deleting asks; without a terminal and without --yes nothing happens.
    assert "add --yes" in await refused(env, "admin", "delete-app", token)
    assert "add --yes" in await refused(env, "admin", "delete-user", ann.account.email)
    assert "no application with token" in await refused(env, "admin", "delete-app", "x" * 30,
                                                  "--yes")
    assert await run(env, "admin", "delete-app", token, "--yes") == {"deleted": token,
                                                               "name": "Backups"}
    r = await http.post(f"{base_url}/1/messages.json",
                        data={"token": token, "user": ann.key, "message": "m"})
    assert r.status_code == 400 and r.json()["token"] == "invalid"
    assert await count(rt, Message) == 0  # the app's messages went with it

    out = await run(env, "admin", "delete-user", ann.account.email, "--yes")
    assert out["deleted"] == ann.account.email
    assert (await http.post(f"{base_url}/1/users/login.json", data=login)).status_code == 400
    for model in (User, App, Device):
        assert await count(rt, model) == 0
    assert "no user with e-mail" in await refused(env, "admin", "list-apps", ann.account.email)


async def test_team_administrator_is_not_deleted(server: Runner, settings: Settings) -> None:
    rt, env = server.rt, env_for(settings)
    boss = await make_user(rt, "boss@example.com")
    await make_app(rt, boss)
    await admin_teams.create_team(rt, "Ops", boss.email)
    text = await refused(env, "admin", "delete-user", boss.email, "--yes")
    assert "administers team 'Ops'" in text
    listed: list[dict[str, Any]] = (await run(env, "admin", "list-users"))["users"]
    assert [u["email"] for u in listed] == ["boss@example.com"]


async def test_reset_and_deletion_tell_the_open_socket_E(
        server: Runner, settings: Settings, http: httpx.AsyncClient, base_url: str) -> None:
    """The command's process has no bus: the `E` goes through the outbox, which the
    server's relay publishes, so a device's open WebSocket closes wherever it is held."""
    rt, env = server.rt, env_for(settings)
    first = await user_with_device(rt, base_url, http, "first", connect=True)
    second = await user_with_device(rt, base_url, http, "second", connect=True)
    try:
        await run(env, "admin", "reset-2fa", first.email)
        assert await first.frame_other_than_keepalive() == b"E"
        await run(env, "admin", "delete-user", second.email, "--yes")
        assert await second.frame_other_than_keepalive() == b"E"
        with pytest.raises(websockets.ConnectionClosed):
            await second.frame(timeout=5)
    finally:
        await first.close()
        await second.close()
