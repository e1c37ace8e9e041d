"""End to end, as a person would: the CLI, separate processes, a plain HTTP client, a WebSocket.

Runs on the single-machine default (`overpush run`, SQLite, in-process bus) and on the cluster
backend (`overpush run api` + `overpush run dispatcher` on PostgreSQL + RabbitMQ).
"""

from __future__ import annotations

import signal
from pathlib import Path

import httpx
import pytest
from overpush.settings import Settings

from testkit.backends import sqlite_settings
from testkit.device import DesktopDevice
from testkit.procs import Proc, cli, env_for

pytestmark = pytest.mark.slow  # real `overpush` processes

PASSWORD = "a long enough password"


@pytest.mark.timeout(120)
async def test_message_reaches_desktop_device(settings: Settings, tmp_path: Path) -> None:
    env = env_for(settings)
    base = f"http://{settings.http_host}:{settings.http_port}"
    if settings.is_sqlite:
        procs = [Proc(env, log=tmp_path / "all.log")]
    else:
        cli(env, "migrate")
        procs = [Proc(env, "dispatcher", log=tmp_path / "dispatcher.log"),
                 Proc(env, "api", log=tmp_path / "api.log")]
    try:
        procs[-1].wait_healthy(base)
        if not settings.is_sqlite:
            procs[0].wait_log("service dispatcher started")
        user = cli(env, "admin", "create-user", "ann@example.com", "--password-stdin",
                   stdin=PASSWORD + "\n")
        assert len(user["user_key"]) == 30 and user["user_key"].isalnum()
        app = cli(env, "admin", "create-app", "ann@example.com", "Backups")
        assert len(app["token"]) == 30 and app["name"] == "Backups"

        device = DesktopDevice(base, "ann@example.com", PASSWORD, name="laptop")
        async with httpx.AsyncClient(timeout=10) as http:
            await device.login(http)
            assert device.user_key == user["user_key"]
            await device.register(http)
            assert await device.sync(http) == []
            await device.connect()

            r = await http.post(f"{base}/1/messages.json", data={
                "token": app["token"], "user": user["user_key"],
                "message": "Backup of database \"example\" finished in 16 minutes.",
                "title": "Backup finished - SQL1", "priority": "1", "sound": "bike",
                "url": "https://example.com/b/1", "url_title": "Log",
            })
            assert r.status_code == 200, r.text
            assert r.json()["status"] == 1 and len(r.json()["request"]) == 36
            assert r.headers["X-Limit-App-Limit"] == "7500"
            assert r.headers["X-Limit-App-Remaining"] == "7499"

            assert await device.frame_other_than_keepalive() == b"!"
            messages = await device.sync(http)
            assert len(messages) == 1
            m = messages[0]
            assert m["message"] == "Backup of database \"example\" finished in 16 minutes."
            assert m["title"] == "Backup finished - SQL1"
            assert (m["app"], m["priority"], m["sound"]) == ("Backups", 1, "bike")
            assert (m["url"], m["url_title"]) == ("https://example.com/b/1", "Log")
            for key in ("id", "umid", "message", "app", "aid", "icon", "date", "priority"):
                assert key in m  # python-pushover-open-client requires these

            # Deleted after download: nothing is kept on the server.
            assert await device.download(http) == []
            await device.close()
    finally:
        codes = [p.stop(signal.SIGTERM) for p in reversed(procs)]
    assert codes == [0] * len(procs), "services must stop cleanly on SIGTERM"
    if settings.is_sqlite:
        import sqlite3

        db = sqlite3.connect(settings.database_url.split("///", 1)[1])
        assert db.execute("select count(*) from messages").fetchone() == (0,)
        assert db.execute("select count(*) from deliveries").fetchone() == (0,)
        assert db.execute("select count(*) from outbox").fetchone() == (0,)


def test_in_process_bus_refused_for_a_subset(tmp_path: Path) -> None:
    import subprocess

    from testkit.procs import OVERPUSH

    env = env_for(sqlite_settings(tmp_path))
    out = subprocess.run([OVERPUSH, "run", "api"], env=env, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 2
    assert "in-process bus" in out.stderr and "amqp://" in out.stderr


def test_unknown_service_refused(tmp_path: Path) -> None:
    import subprocess

    from testkit.procs import OVERPUSH

    env = env_for(sqlite_settings(tmp_path))
    out = subprocess.run([OVERPUSH, "run", "nope"], env=env, capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 2 and "unknown service nope" in out.stderr
