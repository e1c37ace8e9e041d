"""Several `overpush run <service>` processes on one machine, each on its own ports, with
their bus links through one cuttable proxy (tests/proxy.py), for scale-out and fault tests."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import dataclass, field
from pathlib import Path

from overpush.settings import Settings

from testkit.backends import free_port
from testkit.procs import Proc, env_for
from tests.proxy import TcpProxy

# PostgreSQL here is shared and allows 100 connections: 8+ processes at the default
# 10 + 20 each would take them all (and did: "sorry, too many clients already").
POOL = {"OVERPUSH_DB_POOL_SIZE": "2", "OVERPUSH_DB_MAX_OVERFLOW": "3"}


@dataclass
class Member:
    """One process: its service, its own ports, and whether the test killed it."""

    service: str
    n: int
    http_port: int
    ops_port: int
    smtp_port: int
    proc: Proc
    killed: bool = False

    @property
    def name(self) -> str:
        return f"{self.service}-{self.n}"

    @property
    def probe_url(self) -> str:
        # The api serves /healthz on its HTTP port; other processes on their ops port.
        port = self.http_port if self.service == "api" else self.ops_port
        return f"http://127.0.0.1:{port}"


@dataclass
class Cluster:
    settings: Settings
    proxy: TcpProxy
    logs: Path
    members: list[Member] = field(default_factory=list)
    _count: dict[str, int] = field(default_factory=dict)

    @property
    def bus_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.proxy.port}/"

    def start(self, service: str, **env_extra: str) -> Member:
        """Start one process of `service` on free ports, with `env_extra` in its environment
        (OVERPUSH_* settings); returns at once (see `ready`)."""
        n = self._count[service] = self._count.get(service, 0) + 1
        http_port, ops_port, smtp_port = free_port(), free_port(), free_port()
        env = env_for(self.settings, OVERPUSH_BUS_URL=self.bus_url,
                      OVERPUSH_HTTP_PORT=str(http_port), OVERPUSH_OPS_PORT=str(ops_port),
                      OVERPUSH_SMTP_PORT=str(smtp_port), **POOL, **env_extra)
        proc = Proc(env, service, log=self.logs / f"{service}-{n}.log")
        member = Member(service, n, http_port, ops_port, smtp_port, proc)
        self.members.append(member)
        return member

    async def ready(self, member: Member, timeout: float = 60) -> None:
        """Healthy (database and bus) and every service of the process started."""
        await asyncio.to_thread(member.proc.wait_healthy, member.probe_url, timeout)
        await asyncio.to_thread(member.proc.wait_log, f"service {member.service} started",
                                timeout)

    async def kill_and_replace(self, member: Member) -> Member:
        """SIGKILL, as a crashed node or an OOM kill, then a fresh process in its place."""
        await asyncio.to_thread(member.proc.stop, signal.SIGKILL)
        member.killed = True
        replacement = self.start(member.service)
        await self.ready(replacement)
        return replacement

    def of(self, service: str) -> list[Member]:
        return [m for m in self.members if m.service == service and not m.killed]

    def stop_all(self) -> dict[str, int]:
        """SIGTERM every live process, api first (it relays the outbox last); exit codes."""
        order = sorted(self.of_all_live(), key=lambda m: m.service != "api")
        return {m.name: m.proc.stop(signal.SIGTERM) for m in order}

    def of_all_live(self) -> list[Member]:
        return [m for m in self.members if not m.killed]

    def kill_all(self) -> None:
        for m in self.members:
            if m.proc.p.poll() is None:
                m.proc.stop(signal.SIGKILL)
