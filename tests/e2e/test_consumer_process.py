"""A consumer-only process, as each Kubernetes pod runs it: probes on the ops port, JSON logs,
and a clean exit on SIGTERM (the pod's stop)."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import httpx
import pytest
from overpush.settings import Settings

from tests.conftest import RABBIT, free_port
from tests.e2e.procs import Proc, cli, env_for


@pytest.mark.postgres
@pytest.mark.rabbitmq
@pytest.mark.timeout(90)
def test_dispatcher_and_quota_pod_probes_and_stop(
    pg_url: str, rabbit_prefix: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=pg_url, bus_url=RABBIT, bus_prefix=rabbit_prefix,
                        http_port=free_port())
    ops_port = free_port()
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
