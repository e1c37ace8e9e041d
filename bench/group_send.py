"""Group send latency: from the POST of one message to a 1,000-member group until the last
member's WebSocket has received its '!' frame (target: at most one second).

Standalone: `python -m bench.group_send [--members N] [--rounds R]`. All services run in this
process (as `overpush run` does) on a fresh SQLite database and the in-process bus, unless
--database-url/--bus-url name PostgreSQL and RabbitMQ. Set-up (users, sessions, devices, group
members) is written straight to the database, since 1,000 argon2 log-ins would take minutes
and are not what is measured; every member then logs its WebSocket in as a device does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import httpx
import websockets
from overpush.ids import client_secret, device_id, digest, random_key
from overpush.models import App, ClientSession, Device, Group, GroupMember, User
from overpush.runtime import Runtime
from overpush.settings import Settings
from websockets.asyncio.client import ClientConnection

from bench.harness import Ctx, Row
from testkit.backends import free_port, sqlite_settings
from testkit.servers import running


@dataclass
class Member:
    device_id: str
    secret: str
    ws: ClientConnection | None = None


async def _populate(rt: Runtime, members: int) -> tuple[str, str, list[Member]]:
    """An app, a group, and `members` users, each with one desktop device and a session."""
    now = rt.clock.now()
    out: list[Member] = []
    async with rt.sessions() as session, session.begin():
        # Confirmed addresses: no token or device secret works before (issue 14, item 4).
        owner = User(user_key=random_key(), email="owner@bench.invalid", password_hash="x",
                     created_at=now, email_confirmed_at=now)
        session.add(owner)
        await session.flush()
        app = App(token=random_key(), name="Bench", owner_id=owner.id, created_at=now,
                  monthly_limit=10_000_000)
        group = Group(group_key=random_key(), name="Everyone", owner_id=owner.id,
                      created_at=now)
        users = [User(user_key=random_key(), email=f"m{i}@bench.invalid", password_hash="x",
                      created_at=now, email_confirmed_at=now) for i in range(members)]
        session.add_all([app, group, *users])
        await session.flush()
        for u in users:
            m = Member(device_id(), client_secret())
            out.append(m)
            session.add_all([
                ClientSession(user_id=u.id, secret_digest=digest(m.secret), created_at=now),
                Device(public_id=m.device_id, user_id=u.id, name="desktop", os="O",
                       enabled=True, created_at=now),
                GroupMember(group_id=group.id, user_id=u.id, device="", memo="",
                            disabled=False, created_at=now),
            ])
    return app.token, group.group_key, out


async def _connect(ws_url: str, m: Member) -> None:
    m.ws = await websockets.connect(ws_url, compression=None, open_timeout=60)
    await m.ws.send(f"login:{m.device_id}:{m.secret}\n")
    while await m.ws.recv() != b"!":  # the '!' sent right after log-in
        pass


async def _bang(m: Member) -> float:
    assert m.ws is not None
    while await m.ws.recv() != b"!":  # skip '#' keep-alives
        pass
    return time.perf_counter()


async def measure(base_url: str, token: str, group: str, members: list[Member],
                  rounds: int) -> dict[str, Any]:
    ws_url = base_url.replace("http", "ws", 1) + "/push"
    for i in range(0, len(members), 100):  # connect in waves: no SYN flood of our own
        await asyncio.gather(*[_connect(ws_url, m) for m in members[i:i + 100]])
    totals: list[float] = []
    posts: list[float] = []
    async with httpx.AsyncClient(timeout=30) as http:
        for r in range(rounds):
            waiters = [asyncio.create_task(_bang(m)) for m in members]
            await asyncio.sleep(0.05)  # every waiter is in recv() before the clock starts
            t0 = time.perf_counter()
            resp = await http.post(f"{base_url}/1/messages.json", data={
                "token": token, "user": group, "message": f"round {r}"})
            posts.append(time.perf_counter() - t0)
            if resp.status_code != 200:
                raise RuntimeError(f"send failed: {resp.status_code} {resp.text}")
            done = await asyncio.wait_for(asyncio.gather(*waiters), 60)
            totals.append(max(done) - t0)
    for m in members:
        if m.ws is not None:
            await m.ws.close()
    return {
        "members": len(members), "rounds": rounds,
        "post_s": [round(p, 3) for p in posts],
        "last_bang_s": [round(t, 3) for t in totals],
        "median_last_bang_s": round(statistics.median(totals), 3),
        "target_s": 1.0, "met": statistics.median(totals) <= 1.0,
    }


async def run_with(settings: Settings, members: int = 1000, rounds: int = 3) -> dict[str, Any]:
    async with running(settings) as runner:
        token, group, people = await _populate(runner.rt, members)
        base = f"http://{settings.http_host}:{settings.http_port}"
        result = await measure(base, token, group, people, rounds)
        result["backend"] = "sqlite+memory" if settings.is_sqlite else "postgresql+rabbitmq"
        return result


async def run(ctx: Ctx) -> list[Row]:
    """The bench-suite entry point: a fresh SQLite database in a temporary directory."""
    members = 50 if ctx.quick else 1000
    with tempfile.TemporaryDirectory() as tmp:
        settings = sqlite_settings(tmp, log_level="WARNING")
        r = await run_with(settings, members, rounds=1 if ctx.quick else 3)
    return [Row(f"group send of {r['members']}: POST to last '!'", "single",
                f"{r['median_last_bang_s']} s", "<= 1 s", bool(r["met"]),
                f"rounds {r['last_bang_s']}; POST itself {r['post_s']} s")]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.group_send", description=__doc__)
    p.add_argument("--members", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--database-url", help="default: a fresh SQLite file")
    p.add_argument("--bus-url", default="memory://", help="amqp://... with PostgreSQL")
    p.add_argument("--bus-prefix", default=f"bench{random_key(6).lower()}")
    args = p.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            database_url=args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db",
            bus_url=args.bus_url, bus_prefix=args.bus_prefix, http_port=free_port(),
            smtp_port=free_port(), ops_port=free_port(), log_level="WARNING",
        )
        result = asyncio.run(run_with(settings, args.members, args.rounds))
    print(json.dumps(result))
    return 0 if result["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
