"""Four `overpush run api` processes and a dispatcher on PostgreSQL and RabbitMQ, for the
presence tests: accounts, desktop devices on the api instance a test chooses, messages, and
each process's nudge counters as its /metrics reports them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from overpush.runtime import Runtime
from prometheus_client.parser import text_string_to_metric_families

from services.admin import accounts as admin
from testkit.backends import broker_address, cluster_settings
from testkit.device import DesktopDevice
from testkit.procs import cli, env_for
from tests.e2e.cluster import Cluster, Member
from tests.proxy import TcpProxy

APIS = 4
PASSWORD = "a long enough password"
# Seconds an api instance's presence is trusted without a heartbeat: short, so that a
# killed instance is stale within the test (and swept after ten of them).
TTL = 2.0


@dataclass(frozen=True)
class Counts:
    """A process's nudge counters: events received (api) or published (dispatcher)."""

    addressed: float = 0.0
    broadcast: float = 0.0
    unheld: float = 0.0  # devices a nudge was for that nobody holds (publishers)

    def __sub__(self, other: Counts) -> Counts:
        return Counts(self.addressed - other.addressed, self.broadcast - other.broadcast,
                      self.unheld - other.unheld)


def parse(metrics: str, family: str) -> Counts:
    routes: dict[str, float] = {}
    unheld = 0.0
    for f in text_string_to_metric_families(metrics):
        for s in f.samples:
            if f.name == family and s.name.endswith("_total"):
                routes[s.labels["route"]] = s.value
            elif f.name == "overpush_nudge_devices_unheld" and s.name.endswith("_total"):
                unheld = s.value
    return Counts(routes.get("addressed", 0.0), routes.get("broadcast", 0.0), unheld)


class Window:
    """The nudge counters from the moment it opens: what each api instance received and what
    the dispatcher published. A MessageAccepted is delivered at least once, so a message
    may be dispatched (and nudged) more than once: tests relate the two sides, not counts
    of messages."""

    def __init__(self, p: Presence, received: list[Counts], published: Counts) -> None:
        self._p, self._received, self._published = p, received, published

    @classmethod
    async def open(cls, p: Presence) -> Window:
        return cls(p, await p.received(), await p.published())

    async def settled(self, ready: Callable[[Counts], bool] = lambda _: True
                      ) -> tuple[list[Counts], Counts]:
        """The counters' movement since opening, once what the dispatcher published is
        `ready` and nothing has moved for half a second."""
        last: tuple[list[Counts], Counts] | None = None
        for _ in range(60):
            now = ([a - b for a, b in zip(await self._p.received(), self._received,
                                          strict=True)],
                   await self._p.published() - self._published)
            if now == last and ready(now[1]):
                return now
            last = now
            await asyncio.sleep(0.5)
        raise AssertionError(f"the nudge counters not ready or still moving: {last}")


@dataclass
class Presence:
    """The running cluster and what the test made in it."""

    cluster: Cluster
    db: Runtime  # the cluster's database, for set-up and for reading presence rows
    http: httpx.AsyncClient
    token: str = ""
    devices: list[DesktopDevice] = field(default_factory=list)

    @property
    def apis(self) -> list[Member]:
        return [m for m in self.cluster.members if m.service == "api"]

    def url(self, api: int) -> str:
        return f"http://127.0.0.1:{self.apis[api].http_port}"

    async def received(self) -> list[Counts]:
        """What each api instance received, in order (a killed one counts nothing more)."""
        out = []
        for m in self.apis:
            if m.killed:
                out.append(Counts())
                continue
            r = await self.http.get(f"http://127.0.0.1:{m.http_port}/metrics")
            out.append(parse(r.text, "overpush_nudge_events_received"))
        return out

    async def published(self) -> Counts:
        [dispatcher] = self.cluster.of("dispatcher")
        r = await self.http.get(f"{dispatcher.probe_url}/metrics")
        return parse(r.text, "overpush_nudge_events_published")

    async def user(self, email: str) -> str:
        out = await admin.create_user(self.db, email, PASSWORD)
        if not self.token:
            self.token = (await admin.create_app(self.db, email, "Monitor"))["token"]
        key: str = out["user_key"]
        return key

    async def device(self, email: str, name: str, api: int, connect: bool = True
                     ) -> DesktopDevice:
        device = DesktopDevice(self.url(api), email, PASSWORD, name=name)
        await device.login(self.http)
        await device.register(self.http)
        if connect:
            await device.connect()  # the log-in's '!' is read here
        self.devices.append(device)
        return device

    async def moved(self, device: DesktopDevice, api: int) -> DesktopDevice:
        """The same device logged in on another instance (a reconnect elsewhere)."""
        again = DesktopDevice(self.url(api), device.email, device.password, name=device.name,
                              secret=device.secret, user_key=device.user_key,
                              device_id=device.device_id)
        await again.connect()
        self.devices.append(again)
        return again

    async def send(self, user_key: str, text: str, api: int = 0) -> None:
        r = await self.http.post(f"{self.url(api)}/1/messages.json", data={
            "token": self.token, "user": user_key, "message": text})
        assert r.status_code == 200, r.text


@asynccontextmanager
async def presence_cluster(pg_url: str, rabbit_prefix: str, logs: Path
                           ) -> AsyncIterator[Presence]:
    settings = cluster_settings(pg_url, rabbit_prefix)
    cli(env_for(settings), "migrate")
    db = Runtime.build(settings.model_copy(update={"bus_url": "memory://"}))
    with TcpProxy(*broker_address()) as proxy:
        cluster = Cluster(settings, proxy, logs)
        try:
            cluster.start("dispatcher")
            for _ in range(APIS):
                cluster.start("api", OVERPUSH_PRESENCE_TTL=str(TTL))
            await asyncio.gather(*(cluster.ready(m) for m in cluster.members))
            async with httpx.AsyncClient(timeout=20) as http:
                p = Presence(cluster, db, http)
                try:
                    yield p
                finally:
                    for d in p.devices:
                        await d.close()
            codes = cluster.stop_all()
            assert codes == dict.fromkeys(codes, 0), codes
        finally:
            cluster.kill_all()
            await db.engine.dispose()
