"""The emergency schedule lives in the database: SIGKILL the process that runs the receipts
service between two alerts, start it again, and the next alert still comes, once.

Cluster: `overpush run dispatcher quota api` + a separate `overpush run receipts` (the one
killed). Single machine: the one `overpush run` process is killed and restarted. The real
processes run on the system clock, so instead of waiting `retry` seconds the test moves the
receipt's next_attempt_at to now, as if the time had come.
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from overpush.models import ProcessedEvent, Receipt
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import func, select, update

from testkit.device import DesktopDevice
from testkit.procs import Proc, cli, env_for

pytestmark = pytest.mark.slow  # real `overpush` processes, one of them killed

PASSWORD = "a long enough password"


async def pull_forward(rt: Runtime, receipt: str) -> None:
    async with rt.sessions() as session, session.begin():
        await session.execute(update(Receipt).where(Receipt.receipt == receipt)
                              .values(next_attempt_at=datetime.now(UTC)))


async def state(rt: Runtime, receipt: str) -> tuple[int, int]:
    """(re-alerts the ticker made, re-alert events the dispatcher applied)"""
    async with rt.sessions() as session:
        attempts = await session.scalar(select(Receipt.attempts)
                                        .where(Receipt.receipt == receipt))
        applied = await session.scalar(select(func.count()).select_from(ProcessedEvent)
                                       .where(ProcessedEvent.consumer == "dispatcher.realert"))
    return int(attempts or 0), int(applied or 0)


async def realerted(device: DesktopDevice, http: httpx.AsyncClient, umid: int) -> None:
    assert await device.frame_other_than_keepalive(timeout=30) == b"!"
    got = await device.download(http)
    assert [m["umid"] for m in got] == [umid]
    await device.delete_up_to(http, got[0]["id"])


@pytest.mark.timeout(180)
async def test_next_alert_survives_a_killed_receipts_service(settings: Settings,
                                                             tmp_path: Path) -> None:
    env = env_for(settings)
    base = f"http://{settings.http_host}:{settings.http_port}"

    def start_receipts(n: int) -> Proc:
        if settings.is_sqlite:
            p = Proc(env, log=tmp_path / f"all{n}.log")
            p.wait_healthy(base)
        else:
            p = Proc(env, "receipts", log=tmp_path / f"receipts{n}.log")
        p.wait_log("service receipts started")
        return p

    others: list[Proc] = []
    if not settings.is_sqlite:
        cli(env, "migrate")
        others = [Proc(env, "dispatcher", "quota", "api", log=tmp_path / "rest.log")]
        others[0].wait_healthy(base)
    receipts_proc = start_receipts(1)
    rt = Runtime.build(settings)
    try:
        user = cli(env, "admin", "create-user", "ops@example.com", "--password-stdin",
                   stdin=PASSWORD + "\n")
        app = cli(env, "admin", "create-app", "ops@example.com", "Pager")
        device = DesktopDevice(base, "ops@example.com", PASSWORD, name="laptop")
        async with httpx.AsyncClient(timeout=10) as http:
            await device.login(http)
            await device.register(http)
            await device.connect()
            r = await http.post(f"{base}/1/messages.json", data={
                "token": app["token"], "user": user["user_key"], "message": "db1 is down",
                "priority": "2", "retry": "600", "expire": "10800",
            })
            assert r.status_code == 200, r.text
            receipt = r.json()["receipt"]
            assert await device.frame_other_than_keepalive() == b"!"
            [first] = await device.sync(http)

            await pull_forward(rt, receipt)
            await realerted(device, http, first["umid"])
            assert await state(rt, receipt) == (1, 1)

            receipts_proc.kill()
            if settings.is_sqlite:
                await device.close()
            await pull_forward(rt, receipt)  # the next alert falls due while it is down
            receipts_proc = start_receipts(2)
            if settings.is_sqlite:
                await device.connect()  # the restarted server says '!' at log-in
                got = await device.download(http)
                if got:  # the re-alert landed before the device was back: it is in the queue
                    assert [m["umid"] for m in got] == [first["umid"]]
                    await device.delete_up_to(http, got[0]["id"])
                else:
                    await realerted(device, http, first["umid"])
            else:
                await realerted(device, http, first["umid"])

            # Once: a marker message arrives after it, and nothing else came in between.
            r = await http.post(f"{base}/1/messages.json", data={
                "token": app["token"], "user": user["user_key"], "message": "marker"})
            assert r.status_code == 200
            while True:
                assert await device.frame_other_than_keepalive(timeout=30) == b"!"
                got = await device.download(http)
                if got:
                    break
            assert [m["message"] for m in got] == ["marker"]
            assert await state(rt, receipt) == (2, 2)
            await device.close()
    finally:
        await rt.close()
        codes = [p.stop(signal.SIGTERM) for p in [receipts_proc, *others]]
    assert codes == [0] * len(codes)
