"""The senders and devices of the scale-out proof: accounts, a group, paced HTTP, group,
e-mail and emergency sends recorded in a Ledger, and the server-side figures of the run."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any

import aio_pika
import httpx
from overpush.models import DailyUsage, Delivery, Device, Message, OutboxEvent, User
from overpush.runtime import Runtime
from sqlalchemy import func, select

from services.admin import accounts as admin
from testkit.backends import RABBIT
from testkit.device import DesktopDevice
from tests.e2e.ledger import Ledger
from tests.e2e.watcher import Watcher
from tests.mailtools import send as send_mail
from tests.proxy import TcpProxy

PASSWORD = "a long enough password"
TAG = "scaleout"
IN_FLIGHT = 24  # requests at once, across both api instances


@dataclass(frozen=True)
class Person:
    email: str
    key: str
    alias: str  # the user's gateway address


@dataclass(frozen=True)
class Accounts:
    token: str
    group: str
    users: list[Person]


async def setup_accounts(db: Runtime, http: httpx.AsyncClient, apis: list[str],
                         n: int) -> Accounts:
    """n users made as `overpush admin create-user` does, an app, and a group of them all
    (through the Groups API)."""
    users = []
    for i in range(n):
        out = await admin.create_user(db, f"user{i}@example.com", PASSWORD)
        users.append(Person(out["email"], out["user_key"], out["email_alias"]))
    token = (await admin.create_app(db, users[0].email, "Monitor"))["token"]
    r = await http.post(f"{apis[0]}/1/groups.json", data={"token": token, "name": "On call"})
    assert r.status_code == 200, r.text
    group = r.json()["group"]
    for i, u in enumerate(users):
        r = await http.post(f"{apis[i % 2]}/1/groups/{group}/add_user.json",
                            data={"token": token, "user": u.key, "memo": f"member {i}"})
        assert r.status_code == 200, r.text
    return Accounts(token, group, users)


def wait_healthy(probe_url: str, timeout: float = 60) -> None:
    """Blocks until the process reports its database and bus healthy again."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{probe_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, f"{probe_url} not healthy in {timeout}s"
        time.sleep(0.2)


class Traffic:
    def __init__(self, http: httpx.AsyncClient, apis: list[str], accounts: Accounts,
                 ledger: Ledger, smtp: tuple[str, int]) -> None:
        self.http, self.apis, self.accounts, self.ledger, self.smtp = (
            http, apis, accounts, ledger, smtp)
        self.watchers: list[Watcher] = []
        self._n = 0

    async def start_devices(self) -> None:
        """Two devices per user, on different api instances."""
        for i, u in enumerate(self.accounts.users):
            for j, name in enumerate(("laptop", "desk")):
                api = self.apis[(i + j) % 2]
                device = DesktopDevice(api, u.email, PASSWORD, name=name)
                await device.login(self.http)
                await device.register(self.http)
                watcher = Watcher(device, i, f"api{(i + j) % 2 + 1}")
                await watcher.start(self.http)
                self.watchers.append(watcher)

    async def stop_devices(self) -> None:
        await asyncio.gather(*(w.stop() for w in self.watchers))

    def _text(self, kind: str) -> str:
        self._n += 1
        return f"{kind}-{self._n}"

    async def post(self, to: str, users: set[int], text: str, **extra: str) -> None:
        """One POST /1/messages.json, recorded: accepted, refused or indeterminate."""
        self.ledger.attempted += 1
        api = self.apis[self._n % 2]
        data = {"token": self.accounts.token, "user": to, "message": text, **extra}
        try:
            r = await self.http.post(f"{api}/1/messages.json", data=data)
        except httpx.HTTPError as exc:
            self.ledger.indeterminate[text] = users
            self.ledger.transport_errors.append(f"{text}: {type(exc).__name__}: {exc}")
            return
        if r.status_code != 200:
            self.ledger.refused.append(f"{r.status_code} {r.text[:200]}")
            return
        self.ledger.accepted[text] = users
        if "receipt" in r.json():
            self.ledger.receipts[r.json()["receipt"]] = users

    async def mail(self, user: int, text: str) -> None:
        self.ledger.attempted += 1
        raw = (f"From: cron@example.org\r\nSubject: nightly\r\n"
               f"Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n").encode()
        try:
            reply = await send_mail(*self.smtp, self.accounts.users[user].alias, raw)
        except OSError as exc:
            self.ledger.indeterminate[text] = {user}
            self.ledger.transport_errors.append(f"{text}: {type(exc).__name__}: {exc}")
            return
        if reply.code == 250:
            self.ledger.accepted[text] = {user}
        else:
            self.ledger.refused.append(f"SMTP {reply.code} {reply.text}")

    async def send_emergency(self, per_user: int, to_group: int, retry: int) -> None:
        """Priority 2 to each user and to the whole group, all at once."""
        opts = {"priority": "2", "retry": str(retry), "expire": "600", "tags": TAG}
        everyone = set(range(len(self.accounts.users)))
        sends = [self.post(u.key, {i}, self._text("emergency"), **opts)
                 for i, u in enumerate(self.accounts.users) for _ in range(per_user)]
        sends += [self.post(self.accounts.group, everyone, self._text("emergency-group"), **opts)
                  for _ in range(to_group)]
        await asyncio.gather(*sends)

    def plan(self, direct: int, group: int, mail: int, rng: random.Random) -> list[str]:
        jobs = ["direct"] * direct + ["group"] * group + ["mail"] * mail
        rng.shuffle(jobs)
        return jobs

    async def send_paced(self, jobs: list[str], seconds: float) -> None:
        """Job i goes out at start + i * seconds / len(jobs), at most IN_FLIGHT at once."""
        start, gate = time.monotonic(), asyncio.Semaphore(IN_FLIGHT)
        users = self.accounts.users
        everyone = set(range(len(users)))
        rng = random.Random(26)

        async def one(i: int, kind: str) -> None:
            await asyncio.sleep(max(0.0, start + i * seconds / len(jobs) - time.monotonic()))
            async with gate:
                who = rng.randrange(len(users))
                if kind == "group":
                    await self.post(self.accounts.group, everyone, self._text(kind))
                elif kind == "mail":
                    await self.mail(who, self._text(kind))
                else:
                    await self.post(users[who].key, {who}, self._text(kind))

        await asyncio.gather(*(one(i, kind) for i, kind in enumerate(jobs)))

    async def all_arrived(self, db: Runtime, timeout: float) -> None:
        """Wait until every device has every message accepted for its user; on timeout, say
        what is missing where."""
        expected = {i: self.ledger.expected_for(i) for i in range(len(self.accounts.users))}
        deadline = time.monotonic() + timeout
        while True:
            missing = {w.name: sorted(expected[w.user_index] - w.texts())
                       for w in self.watchers}
            missing = {k: v for k, v in missing.items() if v}
            if not missing:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not in {timeout}s: every device has every accepted "
                                     "message; missing: " + "; ".join(
                                         f"{k}: {len(v)} e.g. {v[:5]}"
                                         for k, v in missing.items())
                                     + "\n" + await self._where(db, missing))
            await asyncio.sleep(0.25)

    async def _where(self, db: Runtime, missing: dict[str, list[str]]) -> str:
        """Where the database has the missing messages: still queued for the device (its
        nudge went missing), or gone (deleted without having been downloaded)."""
        lines = []
        async with db.sessions() as session:
            for w in self.watchers:
                for text in missing.get(w.name, [])[:5]:
                    rows = (await session.execute(
                        select(Message.id, Message.dispatched_at, Delivery.id)
                        .join(User, User.id == Message.user_id)
                        .outerjoin(Device, Device.public_id == w.device.device_id)
                        .outerjoin(Delivery, (Delivery.message_id == Message.id)
                                   & (Delivery.device_id == Device.id))
                        .where(Message.body == text, User.email == w.device.email))).all()
                    near = sorted(s.delivery_id for s in w.seen)
                    lines.append(f"{w.name} {text}: message/dispatched/queued {rows}; "
                                 f"device ids seen {len(near)}")
        return "\n".join(lines)

    async def acknowledge(self, receipt: str) -> None:
        """The first device of the receipt's first recipient acknowledges it."""
        user = min(self.ledger.receipts[receipt])
        w = next(w for w in self.watchers if w.user_index == user)
        r = await self.http.post(
            f"{w.device.base_url}/1/receipts/{receipt}/acknowledge.json",
            data={"secret": w.device.secret, "device_id": w.device.device_id})
        assert r.status_code == 200, r.text

    async def cancel_by_tag(self) -> int:
        r = await self.http.post(f"{self.apis[1]}/1/receipts/cancel_by_tag/{TAG}.json",
                                 data={"token": self.accounts.token})
        assert r.status_code == 200, r.text
        return int(r.json()["canceled"])

    async def server_side(self, db: Runtime, prefix: str, proxy: TcpProxy) -> dict[str, Any]:
        """What the database and the broker hold after the run."""
        async with db.sessions() as session:
            outbox = await session.scalar(select(func.count()).select_from(OutboxEvent))
            undispatched = await session.scalar(select(func.count()).select_from(Message)
                                                .where(Message.dispatched_at.is_(None)))
            counted = await session.scalar(select(func.sum(DailyUsage.messages)))
        conn = await aio_pika.connect(RABBIT)
        try:
            channel = await conn.channel()
            parking = await channel.declare_queue(f"{prefix}.dead", passive=True)
            dead = parking.declaration_result.message_count
        finally:
            await conn.close()
        return {"outbox left": int(outbox or 0), "undispatched": int(undispatched or 0),
                "quota counted": int(counted or 0), "dead-lettered": int(dead or 0),
                "bus connections": proxy.accepted,
                "sync retries": sum(len(w.errors) for w in self.watchers)}
