"""Ingest: accepted POST /1/messages.json per second and its latency at a fixed concurrency,
measured in alternating rounds beside a bare FastAPI endpoint served the same way."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys

from bench.harness import (
    Ctx,
    Deployment,
    Proc,
    Row,
    cpu_seconds,
    deployment,
    percentile,
    spread,
)
from bench.loadgen import Load, hammer, post_form
from testkit.backends import free_port

CONCURRENCY = 32
# Issue 20: >= 0.5x the bare endpoint on one machine, >= 0.3x on the cluster (where the
# database, the broker, every service and the load generator share two cores); p99 <= 50 ms.
TARGET_RATIO = {"single": 0.5, "cluster": 0.3}
TARGET_P99_MS = 50.0


async def run(ctx: Ctx) -> list[Row]:
    rows: list[Row] = []
    port = free_port()
    bare = Proc(dict(os.environ), [sys.executable, "-m", "bench.bare", str(port)],
                ctx.workdir / "bare.log")
    try:
        await bare.wait_for(url=f"http://127.0.0.1:{port}/healthz")
        for backend in ctx.backends:
            async with deployment(ctx, backend) as dep:
                rows += await _measure(ctx, dep, port, bare.pid)
    finally:
        bare.stop()
    return rows


async def _measure(ctx: Ctx, dep: Deployment, bare_port: int, bare_pid: int) -> list[Row]:
    acct = await dep.account("ingest")
    form = {"token": acct.token, "user": acct.user_key, "title": "Backup finished",
            "message": "Backup of database \"example\" finished in 16 minutes."}
    product_req = post_form("127.0.0.1", dep.port, "/1/messages.json", form)
    bare_req = post_form("127.0.0.1", bare_port, "/1/messages.json", form)
    rounds, seconds = ctx.size(3, 1), ctx.seconds(3.0, 0.5)
    if dep.backend == "cluster":
        # Some data, then the table statistics autovacuum gathers from it on any installation
        # that has been up for a minute (Deployment.analyze); the bare endpoint warms up as
        # long, so neither side's first round pays for start-up alone.
        for port, req in ((dep.port, product_req), (bare_port, bare_req)):
            await hammer("127.0.0.1", port, req, concurrency=CONCURRENCY,
                         duration=ctx.seconds(1.5, 0.2))
        await dep.analyze()
    product: list[Load] = []
    bare: list[Load] = []
    # CPU time per answered request: far less sensitive to a busy machine than rates are.
    # Counted over all rounds plus a pause, so work queued behind the answers (dispatch,
    # quota) is included; each server is idle while the other one is measured.
    pids = {"product": [p.pid for p in dep.procs], "bare": [bare_pid]}
    cpu = {name: -cpu_seconds(p) for name, p in pids.items()}
    for i in range(rounds):
        # Alternate, so a burst of load from elsewhere on the machine hits both alike.
        bare.append(await hammer("127.0.0.1", bare_port, bare_req, concurrency=CONCURRENCY,
                                 duration=seconds))
        product.append(await hammer("127.0.0.1", dep.port, product_req,
                                    concurrency=CONCURRENCY, duration=seconds))
        ctx.say(f"ingest {dep.backend} round {i + 1}: {product[-1].ok_per_second:.0f}/s "
                f"vs bare {bare[-1].ok_per_second:.0f}/s")
    await asyncio.sleep(1.0)
    cpu = {name: cpu[name] + cpu_seconds(p) for name, p in pids.items()}
    p_rates = [x.ok_per_second for x in product]
    b_rates = [x.ok_per_second for x in bare]
    lat = [v for x in product for v in x.latencies]
    blat = [v for x in bare for v in x.latencies]
    errors = sum(n for x in product for s, n in x.statuses.items() if s != 200)
    failure = next((x.failure.decode(errors="replace") for x in product if x.failure), "")
    ratio = statistics.median(p_rates) / statistics.median(b_rates)
    target = TARGET_RATIO[dep.backend]
    p99 = percentile(lat, 99) * 1000
    ratios = [p / b for p, b in zip(p_rates, b_rates, strict=True)]
    where = f"c={CONCURRENCY}, {rounds}x{seconds:g}s"
    answered = {"product": sum(x.answered for x in product),
                "bare": sum(x.answered for x in bare)}
    cpu_ms = {n: cpu[n] * 1000 / max(answered[n], 1) for n in cpu}
    return [
        Row("ingest: accepted messages/s", dep.backend, spread(p_rates),
            notes=f"{where}; non-200: {errors} {failure}".rstrip()),
        Row("ingest: POST latency p50 / p99", dep.backend,
            f"{percentile(lat, 50) * 1000:.1f} / {p99:.1f} ms", f"p99 <= {TARGET_P99_MS:g} ms",
            p99 <= TARGET_P99_MS),
        Row("ingest: bare FastAPI endpoint req/s", dep.backend, spread(b_rates),
            notes=f"p50/p99 {percentile(blat, 50) * 1000:.1f} / "
                  f"{percentile(blat, 99) * 1000:.1f} ms"),
        Row("ingest: server CPU ms per request, product / bare", dep.backend,
            f"{cpu_ms['product']:.2f} / {cpu_ms['bare']:.3f} ms",
            notes="all the deployment's processes, dispatch and quota work included"),
        Row("ingest: ratio to bare endpoint", dep.backend, f"{ratio:.2f}x",
            f">= {target}x", ratio >= target,
            notes=f"per round {min(ratios):.2f}-{max(ratios):.2f}"),
    ]
