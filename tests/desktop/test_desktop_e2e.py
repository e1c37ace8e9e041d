"""overpush-desktop end to end, on both backends: the real command as a subprocess against the
server in this process. Log in (with and without 2FA), listen --print, a normal message, an
attachment, end-to-end encryption, and log out."""

from __future__ import annotations

import asyncio
import socket
import stat
from pathlib import Path

import apprise
import httpx
import pyotp
import pytest
from overpush.models import Device, User
from overpush_desktop.login import device_name
from sqlalchemy import select, update

from services.runner import Runner
from tests.desktop.support import Desktop, eventually
from tests.factories import PASSWORD, Account, image_bytes, make_app, make_user

KEY = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
pytestmark = [pytest.mark.timeout(180), pytest.mark.slow,  # `overpush-desktop` processes
              pytest.mark.filterwarnings("ignore:'imghdr' is deprecated:DeprecationWarning")]


async def _devices(server: Runner, user_key: str) -> list[str]:
    async with server.rt.sessions() as s:
        return list((await s.scalars(select(Device.name).join(User).where(
            User.user_key == user_key).order_by(Device.name))).all())


async def test_login_listen_attachment_logout(server: Runner, base_url: str, tmp_path: Path,
                                              http: httpx.AsyncClient) -> None:
    rt = server.rt
    me = await make_user(rt)
    token = await make_app(rt, await make_user(rt), name="Backups")
    laptop = Desktop(tmp_path / "laptop")

    out = await laptop.login(base_url, me.email, PASSWORD)
    host = device_name(socket.gethostname())
    assert out.count("\n") == 1 and f"device {host}" in out and str(laptop.login_file) in out
    assert stat.S_IMODE(laptop.login_file.stat().st_mode) == 0o600
    saved = laptop.saved()
    assert PASSWORD not in laptop.login_file.read_text()
    assert (saved["server"], saved["user_key"], saved["device_name"]) == (
        base_url, me.user_key, host)
    assert len(saved["secret"]) == 60 and len(saved["device_id"]) == 40

    # A second computer with the same host name gets a number added.
    other = Desktop(tmp_path / "other")
    out = await other.login(base_url, me.email, PASSWORD)
    assert f"device {host}-2 (the name was taken" in out
    assert await _devices(server, me.user_key) == sorted([host, f"{host}-2"])

    listening = await laptop.listen("--print")
    await listening.wait_log("listening on")
    sent = await http.post(f"{base_url}/1/messages.json", data={
        "token": token, "user": me.user_key, "message": "backup done", "title": "db1",
        "device": host})
    assert sent.status_code == 200, sent.text
    m = await listening.message()
    assert (m["message"], m["title"], m["app"], m["priority"]) == ("backup done", "db1",
                                                                  "Backups", 0)
    png = image_bytes("PNG", (40, 30))
    sent = await http.post(f"{base_url}/1/messages.json", files={"attachment": ("c.png", png)},
                           data={"token": token, "user": me.user_key, "message": "chart",
                                 "device": host})
    assert sent.status_code == 200, sent.text
    m = await listening.message()
    assert m["message"] == "chart"
    assert await asyncio.to_thread(Path(m["attachment_file"]).read_bytes) == png
    # What was shown is deleted on the server (the attachment with it), right after.
    async def queue_empty() -> bool:
        r = await http.get(f"{base_url}/1/messages.json",
                           params={"secret": saved["secret"], "device_id": saved["device_id"]})
        return r.json()["messages"] == []

    await eventually(queue_empty, "the shown messages deleted on the server")
    await listening.stop()

    code, out, err = await laptop.run("logout")
    assert code == 0, err
    assert out.count("\n") == 1 and f"deleted device {host}" in out
    assert not laptop.login_file.exists()
    assert await _devices(server, me.user_key) == [f"{host}-2"]
    r = await http.get(f"{base_url}/1/messages.json",
                       params={"secret": saved["secret"], "device_id": saved["device_id"]})
    assert r.status_code == 400 and r.json()["secret"] == "invalid"  # the secret is revoked
    code, _, err = await laptop.run("listen", "--print")
    assert code == 2 and "not logged in" in err


async def test_login_with_two_factor(server: Runner, base_url: str, tmp_path: Path) -> None:
    me = await make_user(server.rt)
    secret = pyotp.random_base32()
    async with server.rt.sessions() as s, s.begin():
        await s.execute(update(User).where(User.user_key == me.user_key)
                        .values(totp_secret=secret, totp_enabled=True))
    desk = Desktop(tmp_path / "desk")
    args = ("login", "--server", base_url, "--email", me.email, "--password-stdin",
            "--name", "work")
    code, out, err = await desk.run(*args, stdin=PASSWORD + "\n")
    assert code == 1 and "2FA code" in err and not desk.login_file.exists()
    code, out, err = await desk.run(*args, stdin=f"{PASSWORD}\n000000\n")
    assert code == 1 and "log-in refused" in err and not desk.login_file.exists()
    code, out, err = await desk.run(*args, stdin=f"{PASSWORD}\n{pyotp.TOTP(secret).now()}\n")
    assert code == 0, err
    assert "device work" in out and desk.saved()["device_name"] == "work"
    assert await _devices(server, me.user_key) == ["work"]
    # Wrong password: refused, nothing saved, and no device made.
    again = Desktop(tmp_path / "again")
    code, out, err = await again.run(*args, stdin="wrong password\n")
    assert code == 1 and "log-in refused" in err and not again.login_file.exists()


def _apprise_send(url: str, notify_url: str, **kwargs: object) -> bool:
    plugin = apprise.Apprise.instantiate(url)
    assert plugin is not None
    plugin.notify_url = notify_url
    return bool(plugin.notify(**kwargs))


async def _encrypted_send(server: Runner, base_url: str, tmp_path: Path) -> dict[str, object]:
    me = await make_user(server.rt)
    token = await make_app(server.rt, Account(me.email, me.user_key), name="Vault")
    desk = Desktop(tmp_path / "desk")
    await desk.login(base_url, me.email, PASSWORD, "--name", "vault")
    code, _, err = await desk.run("key", "set", "--stdin", stdin=KEY + "\n")
    assert code == 0, err
    listening = await desk.listen("--print")
    try:
        await listening.wait_log("listening on")
        url = f"pover://{me.user_key}@{token}?key={KEY}"
        assert await asyncio.to_thread(
            _apprise_send, url, f"{base_url}/1/messages.json", body="the vault is open",
            title="Vault")
        return await listening.message()
    finally:
        await listening.stop()


async def test_end_to_end_encrypted_message_arrives_decrypted(
        server: Runner, base_url: str, tmp_path: Path) -> None:
    m = await _encrypted_send(server, base_url, tmp_path)
    assert m.get("encrypted") == 1 and m.get("decrypted") == 1
    assert (m["message"], m["title"]) == ("the vault is open", "Vault")
