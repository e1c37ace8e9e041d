"""Shared benchmark plumbing: result rows, the run context, deployments of both backends as
real `overpush` processes on a fresh database and bus namespace, and accounts with a device."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from testkit.backends import PG_SERVER, RABBIT, delete_bus_namespace, free_port, reachable
from testkit.device import DesktopDevice

OVERPUSH = os.environ.get("BENCH_OVERPUSH") or str(Path(sys.executable).parent / "overpush")
ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password"
BACKENDS = ("single", "cluster")


@dataclass(frozen=True)
class Row:
    """One figure: what, on which backend, the value, and the target it is held to."""

    metric: str
    backend: str
    value: str
    target: str = ""
    met: bool | None = None  # None: no target, or not measured
    notes: str = ""


@dataclass
class Ctx:
    """What every suite receives: which backends to run, how big, where to put files."""

    workdir: Path
    backends: Sequence[str] = BACKENDS
    quick: bool = False  # a tiny configuration, for the harness's own test
    log: list[str] = field(default_factory=list)

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def seconds(self, full: float, quick: float) -> float:
        return quick if self.quick else full

    def say(self, text: str) -> None:
        print(f"[bench] {text}", file=sys.stderr, flush=True)


def raise_nofile() -> int:
    """Lift this process's open-file limit to the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time used so far by these processes (from /proc)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def spread(values: Sequence[float]) -> str:
    """'median (min-max, n=k)' for repeated measurements of one figure."""
    return (f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f}, "
            f"n={len(values)})")


class Proc:
    """One `overpush run ...` process, its output in a log file."""

    def __init__(self, env: dict[str, str], args: Sequence[str], log: Path) -> None:
        self.log = log
        self._fh = log.open("ab")
        # A process without the api serves probes; on a free port, never the default one.
        env = {"OVERPUSH_OPS_PORT": str(free_port()), **env}
        self.p = subprocess.Popen(args, env=env, stdout=self._fh, stderr=subprocess.STDOUT,
                                  cwd=ROOT)

    @property
    def pid(self) -> int:
        return self.p.pid

    async def wait_for(self, url: str | None = None, text: str | None = None,
                       timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as http:
            while time.monotonic() < deadline:
                if self.p.poll() is not None:
                    raise RuntimeError(f"{self.log} exited:\n{self.log.read_text()[-3000:]}")
                if text is not None and text in self.log.read_text():
                    return
                if url is not None:
                    try:
                        if (await http.get(url)).status_code == 200:
                            return
                    except httpx.HTTPError:
                        pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.log}: not ready in {timeout}s")

    def stop(self, timeout: float = 20) -> None:
        if self.p.poll() is None:
            self.p.terminate()
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self._fh.close()


@dataclass
class Account:
    user_key: str
    token: str
    device: DesktopDevice


@dataclass
class Deployment:
    """A running installation: its URL, environment and processes (the api one is last)."""

    backend: str
    base_url: str
    env: dict[str, str]
    procs: list[Proc]
    port: int

    @property
    def api_pid(self) -> int:
        return self.procs[-1].pid

    def cli(self, *args: str, stdin: str | None = None) -> dict[str, Any]:
        out = subprocess.run([OVERPUSH, *args], env=self.env, input=stdin, capture_output=True,
                             text=True, timeout=120)
        if out.returncode != 0:
            raise RuntimeError(f"overpush {' '.join(args)}: {out.stderr}{out.stdout}")
        lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
        result: dict[str, Any] = json.loads(lines[-1]) if lines else {}
        return result

    async def analyze(self) -> None:
        """Give PostgreSQL the table statistics a live installation has (autovacuum gathers
        them within a minute or so): a deployment younger than that has none, and with none
        the planner scans whole tables for the dispatcher's lookups of a batch of ids, a cost
        that grows with every message the run adds. SQLite's planner needs none."""
        if self.backend != "cluster":
            return
        import asyncpg

        conn = await asyncpg.connect(self.env["OVERPUSH_DATABASE_URL"].replace("+asyncpg", ""))
        try:
            await conn.execute("ANALYZE")
        finally:
            await conn.close()

    async def account(self, name: str = "bench") -> Account:
        """A user (made with the CLI), an application of theirs, and a registered desktop
        device (through the Open Client API, as a real client does)."""
        email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
        user = self.cli("admin", "create-user", email, "--password-stdin", stdin=PASSWORD)
        app = self.cli("admin", "create-app", email, f"{name} app")
        device = DesktopDevice(self.base_url, email, PASSWORD, name="benchdesk")
        async with httpx.AsyncClient(timeout=30) as http:
            await device.login(http)
            await device.register(http)
        return Account(user["user_key"], app["token"], device)


def cluster_available() -> bool:
    return reachable(PG_SERVER, 5432) and reachable(RABBIT, 5672)


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERPUSH_")}
    env.update({f"OVERPUSH_{k.upper()}": v for k, v in values.items()})
    return env


@asynccontextmanager
async def deployment(ctx: Ctx, backend: str, **settings: str) -> AsyncIterator[Deployment]:
    """Start `overpush run` (single) or api + dispatcher + quota processes (cluster) on a
    fresh database and bus namespace; stop them and drop both afterwards."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    tag = uuid.uuid4().hex[:10]
    common = {"http_host": "127.0.0.1", "http_port": str(port), "smtp_port": str(free_port()),
              # The ingest suite sends far more than a month's default allowance.
              "app_monthly_limit": "1000000000", **settings}
    if backend == "single":
        db = ctx.workdir / f"single-{tag}" / "overpush.db"
        env = _env(database_url=f"sqlite+aiosqlite:///{db}", bus_url="memory://", **common)
        dep = Deployment(backend, base, env, [], port)
        dep.procs.append(Proc(env, [OVERPUSH, "run"], ctx.workdir / f"single-{tag}.log"))
        try:
            await dep.procs[-1].wait_for(url=f"{base}/healthz")
            yield dep
        finally:
            for p in reversed(dep.procs):
                p.stop()
        return

    import asyncpg

    name = f"overpush_b_{tag}"
    prefix = f"b{tag}"
    admin = await asyncpg.connect(PG_SERVER.replace("+asyncpg", ""))
    await admin.execute(f'CREATE DATABASE "{name}"')
    env = _env(database_url=PG_SERVER.rsplit("/", 1)[0] + f"/{name}", bus_url=RABBIT,
               bus_prefix=prefix, **common)
    dep = Deployment(backend, base, env, [], port)
    try:
        dep.cli("migrate")
        for service in ("dispatcher", "quota", "api"):
            dep.procs.append(Proc(env, [OVERPUSH, "run", service],
                                  ctx.workdir / f"cluster-{tag}-{service}.log"))
        for proc, service in zip(dep.procs[:-1], ("dispatcher", "quota"), strict=True):
            await proc.wait_for(text=f"service {service} started")
        await dep.procs[-1].wait_for(url=f"{base}/healthz")
        yield dep
    finally:
        for p in reversed(dep.procs):
            p.stop()
        await delete_bus_namespace(prefix)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
