"""Many confirmed users with desktop devices (and, optionally, a group of them), written straight
to a deployment's database: thousands of argon2 log-ins would take minutes and are not what the
socket benchmarks measure. Every device then logs its WebSocket in as a real one does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from overpush.ids import client_secret, device_id, digest, random_key
from overpush.models import App, ClientSession, Device, Group, GroupMember, User
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import insert, select

DEVICES_PER_USER = 40  # under the per-user cap of live sockets (OVERPUSH_MAX_CONNECTIONS_PER_USER)


@dataclass(frozen=True)
class Population:
    token: str  # an application of the owner's
    group: str  # a group whose members are the device owners ("" when not asked for)
    creds: list[tuple[str, str]]  # (device id, session secret) per device


def write_creds(creds: list[tuple[str, str]], path: Path) -> Path:
    path.write_text("".join(f"{d} {s}\n" for d, s in creds))
    return path


def read_creds(path: Path) -> list[tuple[str, str]]:
    out = []
    for line in path.read_text().splitlines():
        d, s = line.split()
        out.append((d, s))
    return out


async def populate(database_url: str, devices: int, *, per_user: int = DEVICES_PER_USER,
                   group: bool = False) -> Population:
    """`devices` desktop devices, `per_user` to a user (one session secret each user);
    with `group`, one group holding every one of those users."""
    rt = Runtime.build(Settings(database_url=database_url, bus_url="memory://"))
    try:
        return await _write(rt, devices, per_user, group)
    finally:
        await rt.close()


async def _write(rt: Runtime, devices: int, per_user: int, group: bool) -> Population:
    now = rt.clock.now()
    users = (devices + per_user - 1) // per_user
    tag = random_key(8).lower()
    async with rt.sessions() as session, session.begin():
        owner = User(user_key=random_key(), email=f"owner-{tag}@bench.invalid",
                     password_hash="x", created_at=now, email_confirmed_at=now)
        session.add(owner)
        await session.flush()
        app = App(token=random_key(), name="Bench", owner_id=owner.id, created_at=now,
                  monthly_limit=1_000_000_000)
        grp = Group(group_key=random_key(), name="Everyone", owner_id=owner.id, created_at=now)
        session.add_all([app, grp])
        await session.flush()
        # Core inserts in bulk: the ORM's unit of work takes seconds for 50,000 rows.
        await session.execute(insert(User), [
            {"user_key": random_key(), "email": f"m{i}-{tag}@bench.invalid",
             "password_hash": "x", "created_at": now, "email_confirmed_at": now}
            for i in range(users)])
        ids = list((await session.scalars(select(User.id).where(
            User.email.like(f"%-{tag}@bench.invalid"), User.id != owner.id)
            .order_by(User.id))).all())
        secrets = [client_secret() for _ in ids]
        await session.execute(insert(ClientSession), [
            {"user_id": uid, "secret_digest": digest(sec), "created_at": now}
            for uid, sec in zip(ids, secrets, strict=True)])
        creds: list[tuple[str, str]] = []
        rows = []
        for i in range(devices):
            d = device_id()
            creds.append((d, secrets[i // per_user]))
            rows.append({"public_id": d, "user_id": ids[i // per_user], "name": f"desk{i}",
                         "os": "O", "enabled": True, "created_at": now})
        await session.execute(insert(Device), rows)
        if group:
            await session.execute(insert(GroupMember), [
                {"group_id": grp.id, "user_id": uid, "device": "", "memo": "",
                 "disabled": False, "created_at": now} for uid in ids])
    return Population(app.token, grp.group_key if group else "", creds)
