"""Nothing accepted is lost on a single machine: `overpush run` (SQLite, in-process bus) killed
after committing a message, or in the middle of a burst, delivers every message once after a
restart. The cluster's cases: test_durability_cluster.py.

Every check counts by message text and umid what a real desktop device downloads: each
accepted message arrives, and arrives once.
"""

from __future__ import annotations

import contextlib
import sqlite3
import uuid
from pathlib import Path

import httpx
import pytest
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message
from overpush.models import OutboxEvent
from overpush.runtime import Runtime
from sqlalchemy import delete

from testkit.backends import sqlite_settings
from testkit.procs import Proc, env_for
from tests.services.inbox import Inbox, make_account, post

pytestmark = pytest.mark.slow  # real `overpush` processes


@pytest.mark.timeout(180)
@pytest.mark.parametrize("left_behind", ["outbox row", "nothing but the message"])
async def test_single_machine_dispatches_what_a_killed_process_left(
    left_behind: str, tmp_path: Path, procs: list[Proc]
) -> None:
    """`overpush run` (SQLite, in-process bus) died after committing a message and before
    dispatching it: either its event was still in the outbox, or it had gone to the in-process
    bus, which died with it. The next start delivers the message, once."""
    settings = sqlite_settings(tmp_path)
    env = env_for(settings)
    base = f"http://{settings.http_host}:{settings.http_port}"
    procs.append(server := Proc(env, log=tmp_path / "run-1.log"))
    server.wait_healthy(base)
    account = make_account(env)
    inbox = Inbox(base, account.email)
    async with httpx.AsyncClient(timeout=10) as http:
        await inbox.register(http)
        assert server.stop() == 0

        # What the dead process committed (accept() is the API's own intake).
        rt = Runtime.build(settings)
        try:
            draft = parse_message({"token": account.token, "user": account.user_key,
                                   "message": "committed, then the process died"})
            accepted = await accept(rt, draft, str(uuid.uuid4()))
            if left_behind != "outbox row":
                async with rt.sessions() as session, session.begin():
                    await session.execute(delete(OutboxEvent))
        finally:
            await rt.engine.dispose()

        procs.append(again := Proc(env, log=tmp_path / "run-2.log"))
        again.wait_healthy(base)
        await inbox.connect()
        await inbox.wait_for(http, {"committed, then the process died"})
        await inbox.device.close()
    inbox.assert_exactly_once({"committed, then the process died"})
    assert "recovering 1 undispatched messages" in again.log.read_text()
    assert again.stop() == 0
    db = sqlite3.connect(settings.database_url.split("///", 1)[1])
    try:
        assert db.execute("select count(*) from outbox").fetchone() == (0,)
        assert db.execute("select count(*) from messages where id = ?",
                          accepted.message_ids).fetchone() == (0,)  # downloaded and deleted
    finally:
        db.close()


@pytest.mark.timeout(180)
async def test_single_machine_killed_while_busy_loses_nothing(
    tmp_path: Path, procs: list[Proc]
) -> None:
    settings = sqlite_settings(tmp_path)
    env = env_for(settings)
    base = f"http://{settings.http_host}:{settings.http_port}"
    procs.append(server := Proc(env, log=tmp_path / "run-1.log"))
    server.wait_healthy(base)
    account = make_account(env)
    inbox = Inbox(base, account.email)
    sent = {f"burst #{i:02d}" for i in range(30)}
    async with httpx.AsyncClient(timeout=10) as http:
        await inbox.register(http)
        await inbox.connect()
        for message in sorted(sent):
            await post(http, base, account, message)
        server.kill()  # SIGKILL right after the last 200: some are still on their way
        with contextlib.suppress(Exception):
            await inbox.device.close()

        procs.append(again := Proc(env, log=tmp_path / "run-2.log"))
        again.wait_healthy(base)
        await inbox.connect()
        await inbox.wait_for(http, sent)
        await inbox.device.close()
    inbox.assert_exactly_once(sent)
    assert again.stop() == 0
