"""A consumer-only process, as each Kubernetes pod runs it: probes on the ops port, JSON logs,
and a clean exit on SIGTERM (the pod's stop)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest

from testkit.backends import cluster_settings
from testkit.procs import Proc, cli, env_for

pytestmark = pytest.mark.slow  # a real `overpush` process


@pytest.mark.timeout(90)
def test_dispatcher_and_quota_pod_probes_and_stop(
    pg_url: str, rabbit_prefix: str, tmp_path: Path
) -> None:
    settings = cluster_settings(pg_url, rabbit_prefix)
    ops_port = settings.ops_port
    env = env_for(settings, OVERPUSH_OPS_PORT=str(ops_port), OVERPUSH_LOG_JSON="true")
    cli(env, "migrate")
    proc = Proc(env, "dispatcher", "quota", log=tmp_path / "pod.log")
    try:
        base = f"http://{settings.http_host}:{ops_port}"
        proc.wait_healthy(base)
        proc.wait_log("service quota started")
        health = httpx.get(f"{base}/healthz", timeout=5).json()
        assert health == {"status": 1, "checks": {"database": True, "bus": True}}
        assert httpx.get(f"{base}/livez", timeout=5).status_code == 200
        assert "overpush_deliveries" in httpx.get(f"{base}/metrics", timeout=5).text
    finally:
        code = proc.stop(signal.SIGTERM)
    assert code == 0, proc.log.read_text()
    records = [json.loads(line) for line in proc.log.read_text().splitlines() if line.strip()]
    assert any(r["msg"] == "stopping" for r in records)
