"""Scale-out proof on one machine: two api, two dispatcher, two receipts, one quota and one
mailgw process (`overpush run <service>` each) on PostgreSQL and RabbitMQ, with a dozen desktop
devices spread over both api instances, take a few thousand messages (direct, group, e-mail
and emergency sends) while a dispatcher and a receipts process are SIGKILLed (and replaced) and
the broker "restarts". Then every accepted message must have reached every device of its
recipient exactly once, and every emergency receipt must have re-alerted each device once per
slot of its schedule, up to its acknowledgement or cancellation.

The broker restart: RabbitMQ is shared with other test runs on this machine, so it is not
really restarted. Every process reaches it through a cuttable TCP proxy (tests/proxy.py);
cutting every connection and refusing new ones for a few seconds is a broker restart as seen
by its clients: their connections reset, unacked deliveries go back to their queues, exclusive
queues (the api's nudge queues) vanish, and each client reconnects when the broker answers
again. What a client cannot see (the broker rereading its quorum logs) is the broker's own
durability, proven by RabbitMQ's Jepsen suite. With OVERPUSH_TEST_REAL_BROKER_RESTART=1 the
test runs `rabbitmqctl stop_app` / `start_app` instead (only on a broker of your own).

Devices dedupe by umid, as real clients do; the summary counts what they had to dedupe
(transport re-downloads) besides what must never happen (lost, duplicated, unexpected).
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from overpush.runtime import Runtime

from testkit.backends import broker_address, cluster_settings
from testkit.procs import cli, env_for
from tests.e2e import emergency_rounds as er
from tests.e2e.cluster import Cluster
from tests.e2e.ledger import Ledger, count, summary
from tests.e2e.scale_traffic import Traffic, setup_accounts, wait_healthy
from tests.proxy import TcpProxy
from tests.waiting import until

pytestmark = pytest.mark.slow  # minutes of traffic through a cluster of processes

SERVICES = ("dispatcher", "dispatcher", "receipts", "receipts", "quota", "api", "api", "mailgw")
USERS = 6  # two devices each, one on each api instance
DIRECT, GROUP, MAIL = 700, 250, 30  # requests; a group send is one message per member (6)
EMERGENCY_DIRECT, EMERGENCY_GROUP = 3, 2  # per user, and to the whole group
SEND_SECONDS = 45.0  # sends are paced over this long, so the faults fall among them
RETRY = 30  # the shortest retry the API allows


def broker_restart(proxy: TcpProxy, down: float) -> str:
    if os.environ.get("OVERPUSH_TEST_REAL_BROKER_RESTART") == "1":
        subprocess.run(["rabbitmqctl", "stop_app"], check=True, capture_output=True)
        time.sleep(down)
        subprocess.run(["rabbitmqctl", "start_app"], check=True, capture_output=True)
        return f"rabbitmqctl stop_app, {down:.0f} s, start_app"
    proxy.cut()
    time.sleep(down)
    proxy.restore()
    return f"every bus connection cut for {down:.0f} s, then restored"


@pytest.mark.timeout(420)
async def test_scale_out_loses_nothing_and_keeps_the_emergency_schedule(
    pg_url: str, rabbit_prefix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = cluster_settings(pg_url, rabbit_prefix)
    cli(env_for(settings), "migrate")
    db = Runtime.build(settings.model_copy(update={"bus_url": "memory://"}))
    ledger, faults = Ledger(), []
    t0 = time.monotonic()

    def mark(what: str) -> None:
        faults.append(f"t+{time.monotonic() - t0:.0f}s {what}")

    with TcpProxy(*broker_address()) as proxy:
        cluster = Cluster(settings, proxy, tmp_path)
        traffic: Traffic | None = None
        try:
            for service in SERVICES:
                cluster.start(service)
            await asyncio.gather(*(cluster.ready(m) for m in cluster.members))
            apis = [f"http://127.0.0.1:{m.http_port}" for m in cluster.of("api")]
            [mailgw] = cluster.of("mailgw")
            async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(
                    max_connections=64, max_keepalive_connections=64)) as http:
                accounts = await setup_accounts(db, http, apis, USERS)
                traffic = Traffic(http, apis, accounts, ledger, ("127.0.0.1", mailgw.smtp_port))
                await traffic.start_devices()
                t0 = time.monotonic()

                # The emergency burst comes first, so its re-alert rounds fall among the faults.
                await traffic.send_emergency(EMERGENCY_DIRECT, EMERGENCY_GROUP, RETRY)
                jobs = traffic.plan(DIRECT, GROUP, MAIL, random.Random(8))

                async def nemesis() -> None:
                    await asyncio.sleep(max(0.0, t0 + 8 - time.monotonic()))
                    victim = cluster.of("dispatcher")[0]
                    mark(f"SIGKILL {victim.name}")
                    mark(f"{(await cluster.kill_and_replace(victim)).name} ready")
                    await asyncio.sleep(max(0.0, t0 + 27 - time.monotonic()))
                    victim = cluster.of("receipts")[0]
                    mark(f"SIGKILL {victim.name} (a re-alert round is due)")
                    mark(f"{(await cluster.kill_and_replace(victim)).name} ready")
                    await asyncio.sleep(max(0.0, t0 + 36 - time.monotonic()))
                    mark("broker restart begins")
                    mark(await asyncio.to_thread(broker_restart, proxy, 5.0))
                    await asyncio.gather(*(asyncio.to_thread(wait_healthy, m.probe_url)
                                           for m in cluster.of_all_live()))
                    mark("every process healthy again (database and bus)")

                await asyncio.gather(traffic.send_paced(jobs, SEND_SECONDS), nemesis())
                mark(f"{ledger.attempted} requests sent")
                await traffic.all_arrived(db, timeout=120)
                mark("every device has every accepted message")

                realerts = await check_emergency(db, http, traffic, ledger, mark)
                counts = [count(ledger, w) for w in traffic.watchers]
                extra = await traffic.server_side(db, rabbit_prefix, proxy)
                report = summary(ledger, counts, faults, realerts, extra)
                with capsys.disabled():
                    print("\n" + report)
                (tmp_path / "summary.txt").write_text(report)
                await traffic.stop_devices()
            codes = cluster.stop_all()
        finally:
            if traffic is not None:
                await traffic.stop_devices()
            cluster.kill_all()
            await db.engine.dispose()

    assert not ledger.refused and not ledger.indeterminate, (ledger.refused,
                                                             ledger.transport_errors)
    assert sum(c.lost for c in counts) == 0, report
    assert sum(c.unexpected for c in counts) == 0, report
    assert sum(c.duplicated for c in counts) == 0, report
    assert [e for w in traffic.watchers for e in w.errors if "closed" in e] == [], report
    assert extra["outbox left"] == 0 and extra["dead-lettered"] == 0, report
    assert codes == dict.fromkeys(codes, 0), codes


async def check_emergency(db: Runtime, http: httpx.AsyncClient, traffic: Traffic,
                          ledger: Ledger, mark: Callable[[str], None]) -> int:
    """Acknowledge half the receipts between two rounds, cancel the rest between the next
    two, then hold the database and the devices to the schedule. Returns re-alerts expected."""
    names = sorted(ledger.receipts)
    first = await er.rows(db, names)
    created = sorted(r.created_at for r in first.values())
    rounds = er.Rounds(created[0], created[-1], RETRY)
    assert rounds.quiet(1)[1] - rounds.quiet(1)[0] > 5, "the emergency burst took too long"
    watchers = traffic.watchers

    def seen_at_least(receipts: list[str], n: int) -> bool:
        return all(v >= n for r in receipts for v in
                   er.realerts_seen(watchers, ledger.receipts[r], r).values())

    k = rounds.next_quiet(1, room=8)
    await until(lambda: seen_at_least(names, k), f"re-alert round {k} on every device",
                timeout=max(rounds.quiet(k)[1] - time.time() - 3, 5))
    await er.wait_until_wall(rounds.quiet(k)[0])
    acked = names[::2]
    for receipt in acked:
        await traffic.acknowledge(receipt)
    mark(f"{len(acked)} receipts acknowledged after round {k}")
    open_ = [r for r in names if r not in acked]
    await until(lambda: seen_at_least(open_, k + 1), f"re-alert round {k + 1} on every device",
                timeout=max(rounds.quiet(k + 1)[1] - time.time() - 3, 5))
    await er.wait_until_wall(rounds.quiet(k + 1)[0])
    assert await traffic.cancel_by_tag() == len(open_)
    mark(f"{len(open_)} receipts cancelled after round {k + 1}")

    final = await er.rows(db, names)
    expected_total = 0
    for name, row in final.items():
        assert row.closed_at is not None, f"{name} still open"
        assert row.clearance(row.closed_at) >= er.MARGIN - 1, f"{name} closed next to a slot"
        slots = row.slots_before(row.closed_at)
        assert slots == (k if name in acked else k + 1), (name, slots, k)
        assert row.attempts == slots, f"{name}: {row.attempts} re-alerts for {slots} slots"
        assert row.acknowledged == (name in acked)
        per_device = er.realerts_seen(watchers, ledger.receipts[name], name)
        assert per_device == dict.fromkeys(per_device, slots), (name, slots, per_device)
        expected_total += slots * len(per_device)
    return expected_total
