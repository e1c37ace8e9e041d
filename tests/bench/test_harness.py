"""The benchmark harness runs end to end in a tiny configuration (no figures are checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the benchmarks, in their quick configuration

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(240)
def test_quick_bench_run_prints_a_row_per_suite(tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    run = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--backend", "single", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=230,
    )
    assert run.returncode == 0, run.stderr[-3000:] + run.stdout[-3000:]
    text = out.read_text()
    for metric in ("idle WebSocket memory per connection", "ingest: ratio to bare endpoint",
                   "ingest: accepted messages/s", "POST-to-'!' latency p50 / p99"):
        assert f"| {metric} | single |" in text, text
    assert "suite failed" not in text and "Machine noise" in text
