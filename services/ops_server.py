"""A tiny HTTP server for processes without the api: /healthz, /livez and /metrics for probes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator

import uvicorn
from overpush.runtime import Runtime
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

log = logging.getLogger(__name__)


async def health_checks(rt: Runtime) -> dict[str, bool]:
    """Whether the database answers and the bus is connected (the readiness of a process)."""
    checks: dict[str, bool] = {}
    try:
        async with rt.sessions() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:
        checks["database"] = False
    checks["bus"] = await rt.bus.healthy()
    return checks


def create_ops_app(rt: Runtime) -> Starlette:
    async def healthz(_: Request) -> JSONResponse:
        checks = await health_checks(rt)
        healthy = all(checks.values())
        return JSONResponse({"status": 1 if healthy else 0, "checks": checks},
                            status_code=200 if healthy else 503)

    async def livez(_: Request) -> JSONResponse:
        # Liveness is the event loop answering, nothing more: a broker or database outage
        # must not make Kubernetes restart every pod (readiness reports those).
        return JSONResponse({"status": 1})

    async def metrics(_: Request) -> Response:
        return Response(generate_latest(rt.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[
        Route("/healthz", healthz), Route("/livez", livez), Route("/metrics", metrics),
    ])


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The runner owns SIGTERM/SIGINT for every service in the process.
        yield


class OpsServer:
    """Started by the runner in every process that does not run the api service.

    OVERPUSH_OPS_PORT=0 turns it off; a port already taken (several processes on one host)
    turns it off with a warning instead of stopping the process."""

    name = "ops"

    def __init__(self) -> None:
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, rt: Runtime) -> None:
        host, port = rt.settings.http_host, rt.settings.ops_port
        if port == 0:
            log.info("ops endpoints off (OVERPUSH_OPS_PORT=0)")
            return
        try:
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            sock = socket.create_server((host, port), family=family)
        except OSError as exc:
            # Only where several processes share one host (a pod has its own network):
            # run the services anyway, without probes, rather than not at all.
            log.warning("ops endpoints off: cannot listen on %s:%d (%s)", host, port, exc)
            return
        config = uvicorn.Config(
            create_ops_app(rt), log_config=None, lifespan="off", access_log=False,
            server_header=False, timeout_graceful_shutdown=2,
        )
        self._server = server = _Server(config)
        self._task = task = asyncio.create_task(server.serve([sock]), name="ops-http")
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("ops HTTP server stopped during start-up")
            await asyncio.sleep(0.01)
        log.info("ops endpoints on http://%s:%d", host, port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
