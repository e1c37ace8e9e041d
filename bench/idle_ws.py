"""Idle device WebSockets on one api process: how many it holds, what each costs it.

Per backend, one deployment with its product defaults (the per-client cap of 256 included:
the clients connect from 100 loopback source addresses, 127.0.0.2 and up, at most 190 from
each), keep-alives every KEEPALIVE seconds, and clients in processes of their own:

1. 10,000 hand-made clients log in (bench/wsclients.py `raw`): the time from the first
   connect to the last log-in's '!', and the api's CPU seconds for it;
2. then 4,500 `websockets`-package clients and 4,500 browser-like handshakes (offering
   permessage-deflate, which the server declines) on top: 19,000 in all;
each step's RSS growth of the api process over its connection count is that kind's memory
per connection (1 KB = 1000 bytes); then the api's CPU over a window of keep-alive rounds.
"""

from __future__ import annotations

import asyncio
import sys
from asyncio.subprocess import PIPE, Process
from pathlib import Path

from bench.harness import ROOT, Ctx, Deployment, Row, cpu_seconds, deployment, raise_nofile, rss_kib
from bench.population import populate, write_creds

TARGET_KB = 15.0
TARGET_CPU = 5.0  # % of one core for keep-alives, at the product's 30 s interval
TARGET_LOGIN_S = 10.0  # for 10,000 log-ins
KEEPALIVE = 3.0  # seconds between '#' frames here (the product's default is 30)
SOURCES = [f"127.0.0.{i}" for i in range(2, 102)]
DEFAULT_KEEPALIVE = 30.0


async def run(ctx: Ctx) -> list[Row]:
    raise_nofile()  # the client processes started below inherit it
    rows: list[Row] = []
    for backend in ctx.backends:
        async with deployment(ctx, backend, websocket_keepalive=str(KEEPALIVE)) as dep:
            rows += await _measure(ctx, dep)
    return rows


class Clients:
    """One client process holding `creds` connections of one kind."""

    def __init__(self, proc: Process, count: int, seconds: float) -> None:
        self.proc, self.count, self.seconds = proc, count, seconds

    @classmethod
    async def open(cls, dep: Deployment, kind: str, creds: Path, count: int,
                   sources: list[str]) -> Clients:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.wsclients", kind, "127.0.0.1", str(dep.port),
            str(creds), ",".join(sources), stdin=PIPE, stdout=PIPE, cwd=ROOT)
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 300)).decode().split()
        if line[:2] != ["ready", str(count)]:
            proc.kill()
            raise RuntimeError(f"{kind} websocket clients failed: {' '.join(line)!r}")
        return cls(proc, count, float(line[2]))

    async def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        await asyncio.wait_for(self.proc.wait(), 60)


async def _spawn(ctx: Ctx, dep: Deployment, kind: str, creds: list[tuple[str, str]],
                 procs: int) -> list[Clients]:
    """`procs` client processes sharing `creds` and the source addresses, started together."""
    parts = [creds[i::procs] for i in range(procs)]
    files = [write_creds(p, ctx.workdir / f"{dep.backend}-{kind}-{i}.creds")
             for i, p in enumerate(parts)]
    return list(await asyncio.gather(*(
        Clients.open(dep, kind, f, len(p), SOURCES[i::procs])
        for i, (f, p) in enumerate(zip(files, parts, strict=True)))))


async def _measure(ctx: Ctx, dep: Deployment) -> list[Row]:
    n_raw, n_lib, n_browser = ctx.size(10_000, 100), ctx.size(4_500, 50), ctx.size(4_500, 50)
    pop = await populate(dep.env["OVERPUSH_DATABASE_URL"], 200 + n_raw + n_lib + n_browser)
    warm, creds = pop.creds[:200], pop.creds[200:]
    held: list[Clients] = []
    rows: list[Row] = []
    try:
        # Warm up: the first connections import and cache what every later one shares.
        for c in await _spawn(ctx, dep, "raw", warm, 1):
            await c.close()
        await asyncio.sleep(1.0)
        sizes: dict[str, float] = {}
        cpu0, rss0 = cpu_seconds([dep.api_pid]), rss_kib(dep.api_pid)
        held += await _spawn(ctx, dep, "raw", creds[:n_raw], 2)
        login_s, login_cpu = max(c.seconds for c in held), cpu_seconds([dep.api_pid]) - cpu0
        rss = rss0
        start = n_raw
        for kind, count, procs in (("raw", n_raw, 0), ("websockets", n_lib, 3),
                                   ("browser", n_browser, 1)):
            if procs:
                held += await _spawn(ctx, dep, kind, creds[start:start + count], procs)
                start += count
            await asyncio.sleep(ctx.seconds(2.0 * KEEPALIVE, 0.5))  # settle, keep-alives too
            now = rss_kib(dep.api_pid)
            sizes[kind] = (now - rss) * 1024 / count / 1000
            rss = now
        window = ctx.seconds(3 * KEEPALIVE, 1.0)
        cpu = cpu_seconds([dep.api_pid])
        await asyncio.sleep(window)
        cpu_pct = (cpu_seconds([dep.api_pid]) - cpu) / window * 100
        total = sum(c.count for c in held)
    finally:
        for c in held:
            await c.close()
    worst = max(sizes.values())
    rows.append(Row("idle WebSockets held by one api process", dep.backend, f"{total}",
                    ">= 19000", total >= 19_000 if not ctx.quick else None,
                    notes="descriptor hard limit 20,000; product caps in force, 100 source "
                          f"addresses; api RSS {rss0 / 1024:.0f} -> {rss / 1024:.0f} MiB"))
    names = {"raw": "hand-made", "websockets": "websockets", "browser": "browser-like"}
    rows.append(Row("idle WebSocket memory per connection", dep.backend,
                    " / ".join(f"{sizes[k]:.1f} ({names[k]})" for k in sizes) + " KB",
                    f"<= {TARGET_KB:g} KB", worst <= TARGET_KB,
                    notes=f"{n_raw} + {n_lib} + {n_browser} connections, each kind's RSS growth "
                          "after settling; the browser-like one offers permessage-deflate, "
                          "declined"))
    per_round = cpu_pct / 100 * KEEPALIVE
    at_default = per_round / DEFAULT_KEEPALIVE * 100
    rows.append(Row("api CPU for keep-alives, % of a core", dep.backend,
                    f"{at_default:.2f} % (every 30 s)", f"<= {TARGET_CPU:g} %",
                    at_default <= TARGET_CPU,
                    notes=f"{cpu_pct:.1f} % measured over {window:g} s with '#' every "
                          f"{KEEPALIVE:g} s to {total} sockets, all of it counted as "
                          f"keep-alive work: {per_round * 1000:.0f} ms of CPU a round"))
    rows.append(Row(f"{n_raw} new WebSockets logging in", dep.backend,
                    f"{login_s:.1f} s", f"<= {TARGET_LOGIN_S:g} s",
                    login_s <= TARGET_LOGIN_S if not ctx.quick else None,
                    notes=f"api CPU {login_cpu:.1f} s ({login_cpu / n_raw * 1e6:.0f} us a "
                          "log-in), 2 client processes, 64 handshakes in flight each"))
    return rows
