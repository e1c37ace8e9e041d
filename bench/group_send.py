"""Group send latency: from the POST of one message to a 10,000-member group until the last
member's WebSocket has received its '!' frame (target: at most two seconds), on the single
machine (`overpush run`: SQLite and the in-process bus).

Set-up (users, sessions, devices, the group) is written straight to the database
(bench/population.py); every member then logs its WebSocket in as a device does, from client
processes of their own (bench/wsclients.py `watch`) on 100 loopback source addresses, and
reports the wall-clock time of its '!' (the same clock as this process's, on one machine).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from asyncio.subprocess import PIPE, Process

import httpx

from bench.harness import ROOT, Ctx, Deployment, Row, cpu_seconds, deployment, raise_nofile
from bench.population import populate, write_creds

TARGET_S = 2.0
SOURCES = [f"127.0.0.{i}" for i in range(2, 102)]
PROCS = 2


async def run(ctx: Ctx) -> list[Row]:
    raise_nofile()
    members, rounds = ctx.size(10_000, 50), ctx.size(3, 1)
    async with deployment(ctx, "single") as dep:
        return [await _measure(ctx, dep, members, rounds)]


async def _line(proc: Process, timeout: float) -> list[str]:
    assert proc.stdout is not None
    return (await asyncio.wait_for(proc.stdout.readline(), timeout)).decode().split()


async def _start(ctx: Ctx, dep: Deployment, creds: list[tuple[str, str]], i: int) -> Process:
    path = write_creds(creds, ctx.workdir / f"group-{i}.creds")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.wsclients", "watch", "127.0.0.1", str(dep.port), str(path),
        ",".join(SOURCES[i::PROCS]), stdin=PIPE, stdout=PIPE, cwd=ROOT)
    line = await _line(proc, 300)
    if line[:2] != ["ready", str(len(creds))]:
        proc.kill()
        raise RuntimeError(f"member clients failed: {' '.join(line)!r}")
    return proc


async def _say(procs: list[Process], text: str) -> None:
    for p in procs:
        assert p.stdin is not None
        p.stdin.write(text.encode() + b"\n")
        await p.stdin.drain()


async def _measure(ctx: Ctx, dep: Deployment, members: int, rounds: int) -> Row:
    pop = await populate(dep.env["OVERPUSH_DATABASE_URL"], members, per_user=1, group=True)
    procs = list(await asyncio.gather(*(
        _start(ctx, dep, pop.creds[i::PROCS], i) for i in range(PROCS))))
    totals: list[float] = []
    posts: list[float] = []
    cpu: list[float] = []
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            for r in range(rounds):
                await _say(procs, "arm")
                for p in procs:
                    if (await _line(p, 30)) != ["armed"]:
                        raise RuntimeError("member clients did not arm")
                c0 = cpu_seconds([dep.api_pid])
                t0 = time.time()
                resp = await http.post(f"{dep.base_url}/1/messages.json", data={
                    "token": pop.token, "user": pop.group, "message": f"round {r}"})
                posts.append(time.time() - t0)
                if resp.status_code != 200:
                    raise RuntimeError(f"send failed: {resp.status_code} {resp.text}")
                last = 0.0
                for p in procs:
                    line = await _line(p, 120)
                    if line[:1] != ["done"]:
                        raise RuntimeError(f"member clients: {' '.join(line)!r}")
                    last = max(last, float(line[1]))
                totals.append(last - t0)
                cpu.append(cpu_seconds([dep.api_pid]) - c0)
    finally:
        for p in procs:
            assert p.stdin is not None
            p.stdin.close()
        for p in procs:
            await asyncio.wait_for(p.wait(), 60)
    median = statistics.median(totals)
    return Row(f"group send of {members}: POST to last '!'", dep.backend, f"{median:.3f} s",
               f"<= {TARGET_S:g} s", median <= TARGET_S,
               notes=f"rounds {[round(t, 3) for t in totals]} s; POST itself "
                     f"{[round(p, 3) for p in posts]} s; server CPU a round "
                     f"{[round(c, 2) for c in cpu]} s; members in {PROCS} client processes")
