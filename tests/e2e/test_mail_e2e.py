"""The e-mail gateway as an operator runs it: `overpush run` (single machine), or `overpush run
mailgw` as its own process beside the api and dispatcher (cluster), fed by a real SMTP client.
"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest
from overpush.settings import Settings

from testkit.device import DesktopDevice
from testkit.procs import Proc, cli, env_for
from tests.mailtools import send

pytestmark = pytest.mark.slow  # real `overpush` processes

PASSWORD = "a long enough password"


@pytest.mark.timeout(120)
async def test_mail_reaches_desktop_device(settings: Settings, tmp_path: Path) -> None:
    env = env_for(settings)
    base = f"http://{settings.http_host}:{settings.http_port}"
    if settings.is_sqlite:
        procs = [Proc(env, log=tmp_path / "all.log")]
    else:
        cli(env, "migrate")
        procs = [Proc(env, name, log=tmp_path / f"{name}.log")
                 for name in ("dispatcher", "api", "mailgw")]
    try:
        procs[-1 if settings.is_sqlite else 1].wait_healthy(base)
        for p in procs:
            p.wait_log("started")
        procs[-1].wait_log("service mailgw started")
        user = cli(env, "admin", "create-user", "ann@example.com", "--password-stdin",
                   stdin=PASSWORD + "\n")
        alias = cli(env, "admin", "alias", "create", "ann@example.com", "--name", "backups",
                    "--sound", "bike")
        assert alias["alias"]["alias"] == "backups@pomail.net"

        device = DesktopDevice(base, "ann@example.com", PASSWORD, name="laptop")
        async with httpx.AsyncClient(timeout=10) as http:
            await device.login(http)
            await device.register(http)
            await device.connect()
            raw = (b"From: cron@example.org\r\nSubject: =?utf-8?q?Backup_fini=C5=A1hed?=\r\n"
                   b"Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n"
                   b"Content-Type: text/plain; charset=utf-8\r\n"
                   b"Content-Transfer-Encoding: base64\r\n\r\nU1FMMSB0b29rIDE2IG1pbnV0ZXMu\r\n")
            for to in (user["email_alias"], "backups@pomail.net"):
                reply = await send(settings.smtp_host, settings.smtp_port, to, raw)
                assert reply.code == 250, reply
            got: list[dict[str, object]] = []
            while len(got) < 2:
                assert await device.frame_other_than_keepalive() == b"!"
                got += await device.sync(http)
            await device.close()
        for m in got:
            assert (m["title"], m["message"]) == ("Backup finišhed", "SQL1 took 16 minutes.")
            assert m["date"] == 1795687200 and m["app"] == "E-mail"
        assert sorted(str(m.get("sound")) for m in got) == ["None", "bike"]
    finally:
        codes = [p.stop(signal.SIGTERM) for p in reversed(procs)]
    assert codes == [0] * len(procs), "services must stop cleanly on SIGTERM"
