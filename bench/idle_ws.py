"""Memory of idle device WebSockets: RSS growth of the one process serving them (the api),
divided by the number of connections, with the clients in a separate process."""

from __future__ import annotations

import asyncio
import sys
from asyncio.subprocess import PIPE, Process

from bench.harness import ROOT, Ctx, Deployment, Row, deployment, raise_nofile, rss_kib

TARGET_KB = 25.0


async def run(ctx: Ctx) -> list[Row]:
    raise_nofile()  # the servers started below inherit it
    rows: list[Row] = []
    for backend in ctx.backends:
        async with deployment(ctx, backend) as dep:
            rows.append(await _measure(ctx, dep))
    return rows


async def _open(dep: Deployment, device_id: str, secret: str, n: int) -> Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.wsclients", "127.0.0.1", str(dep.port), device_id, secret,
        str(n), stdin=PIPE, stdout=PIPE, cwd=ROOT)
    assert proc.stdout is not None
    line = (await proc.stdout.readline()).decode()
    if line.strip() != f"ready {n}":
        proc.kill()
        raise RuntimeError(f"websocket clients failed: {line!r}")
    return proc


async def _close(proc: Process) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    await asyncio.wait_for(proc.wait(), 30)


async def _measure(ctx: Ctx, dep: Deployment) -> Row:
    acct = await dep.account("idle")
    dev = acct.device
    n = ctx.size(10_000, 200)
    # Warm up: the first connections import and cache what every later one shares.
    await _close(await _open(dep, dev.device_id, dev.secret, 200))
    await asyncio.sleep(1.0)
    before = rss_kib(dep.api_pid)
    clients = await _open(dep, dev.device_id, dev.secret, n)
    try:
        await asyncio.sleep(2.0)  # let the server settle: every handler parked in receive()
        after = rss_kib(dep.api_pid)
    finally:
        await _close(clients)
    per_conn = (after - before) * 1024 / n / 1000
    return Row("idle WebSocket memory per connection", dep.backend, f"{per_conn:.1f} KB",
               f"<= {TARGET_KB:g} KB", per_conn <= TARGET_KB,
               notes=f"{n} connections, api RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB")
