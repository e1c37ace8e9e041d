"""E-mail aliases through the API, the `overpush admin alias` command, and back-filling."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from overpush import aliases
from overpush.models import MailAccount, MailAlias
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import delete, text

from services.admin import accounts as admin
from services.runner import Runner
from testkit.backends import sqlite_settings
from testkit.device import DesktopDevice
from testkit.procs import cli, env_for
from testkit.servers import running
from tests.factories import PASSWORD, Account, make_user, user_with_device
from tests.mailtools import send


async def test_alias_api(server: Runner, settings: Settings, base_url: str) -> None:
    out = await admin.create_user(server.rt, "cat@example.com", PASSWORD)
    default = out["email_alias"]
    async with httpx.AsyncClient(timeout=10) as http:
        device = DesktopDevice(base_url, "cat@example.com", PASSWORD)
        await device.login(http)
        url, secret = f"{base_url}/1/aliases.json", device.secret

        r = await http.get(url, params={"secret": secret})
        assert r.status_code == 200, r.text
        [only] = r.json()["aliases"]
        assert only["alias"] == default and only["default"] is True

        r = await http.post(url, data={"secret": secret, "name": "nas", "device": "phone"})
        assert r.status_code == 200 and r.json()["alias"]["alias"] == "nas@pomail.net"
        r = await http.post(url, data={"secret": secret})  # a random name
        assert r.status_code == 200 and r.json()["alias"]["name"].isalnum()
        r = await http.post(url, data={"secret": secret, "name": "NAS"})
        assert r.status_code == 400 and r.json()["name"] == "invalid"
        assert r.json()["errors"] == ["alias has already been taken"]
        r = await http.post(url, data={"secret": secret, "name": "x", "sound": "nope"})
        assert r.status_code == 400 and set(r.json()) >= {"name", "sound"}
        r = await http.get(url, params={"secret": "wrong"})
        assert r.status_code == 400 and r.json()["secret"] == "invalid"

        r = await http.post(f"{base_url}/1/aliases/{default}/delete.json", data={"secret": secret})
        assert r.status_code == 400 and r.json()["alias"] == "invalid"
        r = await http.post(f"{base_url}/1/aliases/nas@pomail.net/delete.json",
                            data={"secret": secret})
        assert r.status_code == 200, r.text
        r = await http.post(f"{base_url}/1/aliases/nas/delete.json", data={"secret": secret})
        assert r.status_code == 400 and r.json()["alias"] == "not found"
        r = await http.get(url, params={"secret": secret})
        assert len(r.json()["aliases"]) == 2

    gone = await send(settings.smtp_host, settings.smtp_port, "nas@pomail.net",
                      b"Subject: x\r\n\r\ny\r\n")
    assert (gone.code, gone.stage) == (550, "rcpt")


async def test_backfill_gives_old_users_an_address(runtime: Runtime) -> None:
    user = await make_user(runtime)
    async with runtime.sessions() as session, session.begin():
        await session.execute(delete(MailAlias))
        await session.execute(delete(MailAccount))
    assert await aliases.backfill(runtime) == 1
    assert await aliases.backfill(runtime) == 0
    out = await admin.alias_command(runtime, "list", user.email, {})
    assert [a["default"] for a in out["aliases"]] == [True]


async def test_database_failure_is_temporary(server: Runner, settings: Settings,
                                             base_url: str) -> None:
    out = await admin.create_user(server.rt, "dan@example.com", PASSWORD)
    async with httpx.AsyncClient(timeout=10) as http:  # a device, so the mail has somewhere to go
        await user_with_device(server.rt, base_url, http, account=Account(
            out["email"], out["user_key"], PASSWORD))
    async with server.rt.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE messages RENAME TO messages_away"))
    reply = await send(settings.smtp_host, settings.smtp_port, out["email_alias"],
                       b"Subject: x\r\n\r\ny\r\n")
    assert (reply.code, reply.stage) == (451, "data") and "4.3.0" in reply.text
    async with server.rt.engine.begin() as conn:
        await conn.execute(text("ALTER TABLE messages_away RENAME TO messages"))
        assert (await conn.execute(text("SELECT count(*) FROM messages"))).scalar() == 0
    reply = await send(settings.smtp_host, settings.smtp_port, out["email_alias"],
                       b"Subject: x\r\n\r\ny\r\n")
    assert reply.code == 250, reply


async def test_flooding_one_address_is_slowed(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path, mail_rate_burst=2, mail_rate_per_minute=0.01)
    async with running(settings) as runner:
        out = await admin.create_user(runner.rt, "eve@example.com", PASSWORD)
        other = await admin.create_user(runner.rt, "fay@example.com", PASSWORD)
        codes = [(await send(settings.smtp_host, settings.smtp_port, out["email_alias"],
                             b"Subject: x\r\n\r\ny\r\n")).code for _ in range(3)]
        # No devices, so the first two are refused at DATA; the third never gets past RCPT.
        assert codes == [550, 550, 451]
        reply = await send(settings.smtp_host, settings.smtp_port, other["email_alias"],
                           b"Subject: x\r\n\r\ny\r\n")
        assert reply.code == 550 and reply.stage == "data"  # another address is not slowed


@pytest.mark.slow  # one real `overpush` command after another
def test_alias_command_line(tmp_path: Path) -> None:
    env = env_for(sqlite_settings(tmp_path))
    user = cli(env, "admin", "create-user", "gil@example.com", "--password-stdin",
               stdin=PASSWORD + "\n")
    assert user["email_alias"].endswith("@pomail.net")
    made = cli(env, "admin", "alias", "create", "gil@example.com", "--name", "cron",
               "--sound", "siren", "--priority", "1", "--ignore-timestamps")
    assert made["alias"]["alias"] == "cron@pomail.net" and made["alias"]["ignore_timestamps"]
    listed = cli(env, "admin", "alias", "list", "gil@example.com")
    assert [a["alias"] for a in listed["aliases"]] == [user["email_alias"], "cron@pomail.net"]
    assert cli(env, "admin", "alias", "delete", "gil@example.com", "cron") == {"deleted": "cron"}
    assert len(cli(env, "admin", "alias", "list", "gil@example.com")["aliases"]) == 1


async def test_starttls_when_a_certificate_is_configured(tmp_path: Path) -> None:
    import ssl

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    settings = sqlite_settings(tmp_path, smtp_tls_cert=str(tmp_path / "cert.pem"),
                               smtp_tls_key=str(tmp_path / "key.pem"))
    async with running(settings) as runner:
        out = await admin.create_user(runner.rt, "hal@example.com", PASSWORD)
        client = ssl.create_default_context()
        ca.configure_trust(client)
        reply = await send(settings.smtp_host, settings.smtp_port, out["email_alias"],
                           b"Subject: x\r\n\r\ny\r\n", tls=client)
        # Past STARTTLS, RCPT and DATA: refused only because hal has no device yet.
        assert (reply.code, reply.stage) == (550, "data"), reply


async def test_open_client_user_shows_the_first_email_alias(server: Runner,
                                                            base_url: str) -> None:
    out = await admin.create_user(server.rt, "fia@example.com", PASSWORD)
    async with httpx.AsyncClient(timeout=10) as http:
        device = await user_with_device(server.rt, base_url, http, account=Account(
            out["email"], out["user_key"], PASSWORD))
        # Another address does not change which one is first.
        r = await http.post(f"{base_url}/1/aliases.json",
                            data={"secret": device.secret, "name": "aaa-first-by-name"})
        assert r.status_code == 200, r.text
        r = await http.get(f"{base_url}/1/messages.json",
                           params={"secret": device.secret, "device_id": device.device_id})
        assert r.status_code == 200 and r.json()["user"]["first_email_alias"] == out["email_alias"]
        r = await http.post(f"{base_url}/1/users/settings.json",
                            data={"secret": device.secret, "timezone": "Europe/Berlin"})
        assert r.json()["user"]["first_email_alias"] == out["email_alias"]

        # A user the gateway has not given an address yet gets "" (the field's empty value).
        async with server.rt.sessions() as session, session.begin():
            await session.execute(delete(MailAlias))
        r = await http.get(f"{base_url}/1/messages.json",
                           params={"secret": device.secret, "device_id": device.device_id})
        assert r.status_code == 200 and r.json()["user"]["first_email_alias"] == ""
