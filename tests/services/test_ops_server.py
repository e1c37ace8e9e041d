"""Processes without the api serve /healthz, /livez and /metrics for Kubernetes probes."""

from __future__ import annotations

from pathlib import Path

import httpx
from overpush.runtime import Runtime
from overpush.settings import Settings

from services.api.app import create_app
from services.ops_server import create_ops_app
from services.runner import Runner
from testkit.backends import free_port, sqlite_settings


async def test_a_consumer_only_process_serves_probes_and_metrics(tmp_path: Path) -> None:
    settings = sqlite_settings(tmp_path, ops_port=free_port())
    runner = Runner(Runtime.build(settings), ["dispatcher", "quota"])
    assert [s.name for s in runner.services] == ["ops", "dispatcher", "quota"]
    await runner.start()
    try:
        base = f"http://{settings.http_host}:{settings.ops_port}"
        async with httpx.AsyncClient(base_url=base) as http:
            health = await http.get("/healthz")
            assert health.status_code == 200
            assert health.json() == {"status": 1, "checks": {"database": True, "bus": True}}
            assert (await http.get("/livez")).json() == {"status": 1}
            metrics = await http.get("/metrics")
            assert metrics.status_code == 200
            assert "overpush_deliveries" in metrics.text
    finally:
        await runner.stop()


def test_a_process_with_the_api_needs_no_ops_server(tmp_path: Path) -> None:
    runner = Runner(Runtime.build(sqlite_settings(tmp_path)), ["dispatcher", "quota", "api"])
    assert "ops" not in [s.name for s in runner.services]


async def test_healthz_is_503_and_livez_200_when_the_database_is_down() -> None:
    # Nothing listens on this port: readiness fails, liveness must not (no restart storms).
    rt = Runtime.build(Settings(
        database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/none",
        bus_url="memory://",
    ))
    try:
        for app in (create_ops_app(rt), create_app(rt)):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ops") as http:
                health = await http.get("/healthz")
                assert health.status_code == 503
                assert health.json()["checks"]["database"] is False
                assert (await http.get("/livez")).status_code == 200
    finally:
        await rt.close()


async def test_a_taken_ops_port_leaves_the_services_running(tmp_path: Path) -> None:
    # Several consumer processes on one host (not in Kubernetes, where each pod has its own
    # network) must not stop each other over the ops port.
    settings = sqlite_settings(tmp_path, ops_port=free_port())
    first = Runner(Runtime.build(settings), ["dispatcher"])
    second = Runner(Runtime.build(settings), ["quota"])
    await first.start()
    try:
        await second.start()
        assert [s.name for s in second._started] == ["ops", "quota"]
        await second.stop()
        base = f"http://{settings.http_host}:{settings.ops_port}"
        async with httpx.AsyncClient(base_url=base) as http:
            assert (await http.get("/livez")).status_code == 200
    finally:
        await first.stop()
