"""Ingest: accepted POST /1/messages.json per second and its latency at a fixed concurrency,
measured in alternating rounds beside a bare FastAPI endpoint served the same way."""

from __future__ import annotations

import os
import statistics
import sys

from bench.harness import Ctx, Deployment, Proc, Row, deployment, percentile, spread
from bench.loadgen import Load, hammer, post_form
from tests.conftest import free_port

CONCURRENCY = 32
TARGET_RATIO = 0.5


async def run(ctx: Ctx) -> list[Row]:
    rows: list[Row] = []
    port = free_port()
    bare = Proc(dict(os.environ), [sys.executable, "-m", "bench.bare", str(port)],
                ctx.workdir / "bare.log")
    try:
        await bare.wait_for(url=f"http://127.0.0.1:{port}/healthz")
        for backend in ctx.backends:
            async with deployment(ctx, backend) as dep:
                rows += await _measure(ctx, dep, port)
    finally:
        bare.stop()
    return rows


async def _measure(ctx: Ctx, dep: Deployment, bare_port: int) -> list[Row]:
    acct = await dep.account("ingest")
    form = {"token": acct.token, "user": acct.user_key, "title": "Backup finished",
            "message": "Backup of database \"example\" finished in 16 minutes."}
    product_req = post_form("127.0.0.1", dep.port, "/1/messages.json", form)
    bare_req = post_form("127.0.0.1", bare_port, "/1/messages.json", form)
    rounds, seconds = ctx.size(3, 1), ctx.seconds(3.0, 0.5)
    product: list[Load] = []
    bare: list[Load] = []
    for i in range(rounds):
        # Alternate, so a burst of load from elsewhere on the machine hits both alike.
        bare.append(await hammer("127.0.0.1", bare_port, bare_req, concurrency=CONCURRENCY,
                                 duration=seconds))
        product.append(await hammer("127.0.0.1", dep.port, product_req,
                                    concurrency=CONCURRENCY, duration=seconds))
        ctx.say(f"ingest {dep.backend} round {i + 1}: {product[-1].ok_per_second:.0f}/s "
                f"vs bare {bare[-1].ok_per_second:.0f}/s")
    p_rates = [x.ok_per_second for x in product]
    b_rates = [x.ok_per_second for x in bare]
    lat = [v for x in product for v in x.latencies]
    blat = [v for x in bare for v in x.latencies]
    errors = sum(n for x in product for s, n in x.statuses.items() if s != 200)
    ratio = statistics.median(p_rates) / statistics.median(b_rates)
    ratios = [p / b for p, b in zip(p_rates, b_rates, strict=True)]
    where = f"c={CONCURRENCY}, {rounds}x{seconds:g}s"
    return [
        Row("ingest: accepted messages/s", dep.backend, spread(p_rates),
            notes=f"{where}; non-200: {errors}"),
        Row("ingest: POST latency p50 / p99", dep.backend,
            f"{percentile(lat, 50) * 1000:.1f} / {percentile(lat, 99) * 1000:.1f} ms"),
        Row("ingest: bare FastAPI endpoint req/s", dep.backend, spread(b_rates),
            notes=f"p50/p99 {percentile(blat, 50) * 1000:.1f} / "
                  f"{percentile(blat, 99) * 1000:.1f} ms"),
        Row("ingest: ratio to bare endpoint", dep.backend, f"{ratio:.2f}x",
            f">= {TARGET_RATIO}x", ratio >= TARGET_RATIO,
            notes=f"per round {min(ratios):.2f}-{max(ratios):.2f}"),
    ]
