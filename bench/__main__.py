"""Runs the benchmark suites and prints one markdown table, plus how noisy the machine was.

python -m bench                      every suite, both backends; writes bench/results/latest.md
python -m bench ingest latency       only these suites (writes bench/results/<names>.md)
python -m bench --backend single     one backend;  --quick: a tiny configuration
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import pkgutil
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

import bench
from bench.harness import BACKENDS, Ctx, Row, cluster_available

NOT_SUITES = {"harness", "loadgen", "bare", "wsclients"}
RESULTS = Path(__file__).resolve().parent / "results"


def suites() -> dict[str, ModuleType]:
    """Every module of this package with `async def run(ctx) -> list[Row]`, by name."""
    found = {}
    for info in sorted(pkgutil.iter_modules(bench.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name in NOT_SUITES:
            continue
        module = importlib.import_module(f"bench.{info.name}")
        if callable(getattr(module, "run", None)):
            found[info.name] = module
    return found


def calibrate(runs: int = 5) -> list[float]:
    """Milliseconds for a fixed pure-Python loop, several times: the machine's noise."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i
        times.append((time.perf_counter() - t0) * 1000)
    return times


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def table(rows: list[Row]) -> str:
    mark = {True: "yes", False: "**no**", None: ""}
    lines = ["| metric | backend | value | target | met? | notes |", "|---|---|---|---|---|---|"]
    lines += [f"| {r.metric} | {r.backend} | {r.value} | {r.target} | {mark[r.met]} | {r.notes} |"
              for r in rows]
    return "\n".join(lines)


def noise_text(before: list[float], after: list[float], loads: list[str]) -> str:
    both = before + after
    med = statistics.median(both)
    return (f"Machine noise: a fixed CPU loop took {med:.0f} ms median, {min(both):.0f}-"
            f"{max(both):.0f} ms over {len(both)} runs (spread {(max(both) / min(both) - 1):.0%}; "
            f"before {statistics.median(before):.0f} ms, after {statistics.median(after):.0f} ms). "
            f"Load average at start / end: {loads[0]} / {loads[1]}. "
            f"Repeated figures are shown as median (min-max, n=runs).")


async def run_all(ctx: Ctx, chosen: dict[str, ModuleType]) -> list[Row]:
    rows: list[Row] = []
    for name, module in chosen.items():
        ctx.say(f"suite {name}")
        runner: Callable[[Ctx], Awaitable[list[Row]]] = module.run
        try:
            rows += await runner(ctx)
        except Exception as exc:  # one broken suite must not lose the others' figures
            ctx.say(f"suite {name} failed: {exc!r}")
            rows.append(Row(f"{name}: suite failed", ",".join(ctx.backends), "-",
                            met=False, notes=repr(exc)[:200]))
    return rows


def main(argv: list[str] | None = None) -> int:
    available = suites()
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("suites", nargs="*", choices=[[], *available], metavar="SUITE",
                   help=f"one or more of: {', '.join(available)} (default: all)")
    p.add_argument("--backend", choices=BACKENDS, action="append")
    p.add_argument("--quick", action="store_true", help="tiny sizes: checks the harness only")
    p.add_argument("--out", type=Path, help="write the markdown here")
    args = p.parse_args(argv)
    chosen = {n: available[n] for n in (args.suites or available)}
    backends = list(args.backend or BACKENDS)
    skipped = ""
    if "cluster" in backends and not cluster_available():
        backends.remove("cluster")
        skipped = "\n\nCluster backend skipped: PostgreSQL or RabbitMQ is not reachable."
    out = args.out or (None if args.quick else
                       RESULTS / f"{'latest' if not args.suites else '-'.join(args.suites)}.md")
    loads = [load_average()]
    before = calibrate()
    with tempfile.TemporaryDirectory(prefix="overpush-bench-") as tmp:
        ctx = Ctx(Path(tmp), backends, quick=args.quick)
        rows = asyncio.run(run_all(ctx, chosen))
    after = calibrate()
    loads.append(load_average())
    text = (f"# Overpush benchmarks\n\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
            f"Python {platform.python_version()}, {platform.machine()}, "
            f"suites: {', '.join(chosen)}\n\n{table(rows)}\n\n"
            f"{noise_text(before, after, loads)}{skipped}\n")
    print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return 1 if any(r.metric.endswith("suite failed") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
