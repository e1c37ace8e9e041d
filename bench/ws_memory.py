"""What an idle /push WebSocket holds in the api, by allocation site: a tool, not a suite.

    python -m bench.ws_memory KIND:COUNT [KIND:COUNT ...]     e.g. raw:2000 browser:2000

Runs every service of the single machine (SQLite, in-process bus) in this process, then opens
each step's connections from client processes (bench/wsclients.py, kinds raw, websockets,
browser) on top of the previous ones, and prints per step the process's RSS growth and the
traced Python memory per connection, with the allocation sites that grew most (tracemalloc
snapshot diffs). Steps in another order tell what a kind costs from what its place costs.
TRACE=0: RSS only (tracemalloc's own bookkeeping makes RSS meaningless while it runs);
TOP: sites printed per step (30); SETTLE: seconds after each step (6, two keep-alive rounds).
The population is written by this process before the first step, so the first step reuses
the heap that freed: compare kinds at the same place, not across places.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import tempfile
import tracemalloc
from pathlib import Path

from bench.harness import raise_nofile, rss_kib
from bench.idle_ws import KEEPALIVE, SOURCES
from bench.population import populate, write_creds
from testkit.backends import free_port

PROCS = {"raw": 2, "websockets": 3, "browser": 1}  # client processes per step, as idle_ws


async def _open(kind: str, port: int, creds: list[tuple[str, str]], workdir: Path,
                tag: str) -> list[asyncio.subprocess.Process]:
    procs = PROCS[kind]

    async def one(i: int) -> asyncio.subprocess.Process:
        f = write_creds(creds[i::procs], workdir / f"{tag}-{i}.creds")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.wsclients", kind, "127.0.0.1", str(port), str(f),
            ",".join(SOURCES[i::procs]), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE)
        assert proc.stdout is not None
        line = (await proc.stdout.readline()).decode()
        if not line.startswith("ready"):
            raise RuntimeError(f"{kind} clients failed: {line!r}")
        return proc

    return list(await asyncio.gather(*(one(i) for i in range(procs))))


def _report(kind: str, count: int, rss_kb: float, now: tracemalloc.Snapshot | None,
            before: tracemalloc.Snapshot | None) -> None:
    line = f"{kind} x{count}: RSS {rss_kb:.2f} KB a connection"
    if now is None or before is None:
        print(line, flush=True)
        return
    diff = now.compare_to(before, "lineno")
    print(f"{line}, traced {sum(d.size_diff for d in diff) / count / 1000:.2f} KB", flush=True)
    for d in diff[:int(os.environ.get("TOP", "30"))]:
        print(f"  {d.size_diff / count:8.1f} B {d.count_diff / count:6.2f} objects  "
              f"{d.traceback[0]}", flush=True)


async def main(steps: list[tuple[str, int]], workdir: Path) -> None:
    from overpush.runtime import Runtime
    from overpush.settings import Settings

    from services import runner

    trace = os.environ.get("TRACE", "1") == "1"
    settle = float(os.environ.get("SETTLE", str(2 * KEEPALIVE)))
    port = free_port()
    settings = Settings(database_url=f"sqlite+aiosqlite:///{workdir / 'overpush.db'}",
                        bus_url="memory://", http_host="127.0.0.1", http_port=port,
                        smtp_port=free_port(), websocket_keepalive=KEEPALIVE)
    run = runner.Runner(Runtime.build(settings), runner.choose([], settings))
    await run.start()
    held: list[asyncio.subprocess.Process] = []
    try:
        pop = await populate(settings.database_url, 200 + sum(c for _, c in steps))
        warm, creds = pop.creds[:200], pop.creds[200:]
        held += await _open("raw", port, warm, workdir, "warm")  # imports, caches
        await asyncio.sleep(1.0)
        gc.collect()
        if trace:
            tracemalloc.start(1)
        snap = tracemalloc.take_snapshot() if trace else None
        rss, start = rss_kib(os.getpid()), 0
        for i, (kind, count) in enumerate(steps):
            held += await _open(kind, port, creds[start:start + count], workdir, f"{kind}{i}")
            start += count
            await asyncio.sleep(settle)
            gc.collect()
            now_rss = rss_kib(os.getpid())
            now = tracemalloc.take_snapshot() if trace else None
            _report(kind, count, (now_rss - rss) * 1024 / count / 1000, now, snap)
            rss, snap = now_rss, now
    finally:
        for p in held:
            if p.stdin is not None:
                p.stdin.close()
        for p in held:
            await p.wait()
        await run.stop()


if __name__ == "__main__":
    from overpush import eventloop

    raise_nofile()
    steps = [(k, int(n)) for k, n in (a.split(":") for a in sys.argv[1:])]
    assert steps and all(k in PROCS for k, _ in steps), __doc__
    with tempfile.TemporaryDirectory() as tmp:
        eventloop.run(main(steps, Path(tmp)))
