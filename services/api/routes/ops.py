"""Operations: /healthz (database and bus reachable), /livez (process alive), /metrics."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from services.api.deps import RuntimeDep

router = APIRouter()


@router.get("/healthz")
async def healthz(rt: RuntimeDep) -> JSONResponse:
    checks: dict[str, bool] = {}
    try:
        async with rt.sessions() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = True
    except Exception:
        checks["database"] = False
    checks["bus"] = await rt.bus.healthy()
    healthy = all(checks.values())
    return JSONResponse({"status": 1 if healthy else 0, "checks": checks},
                        status_code=200 if healthy else 503)


@router.get("/livez")
async def livez() -> JSONResponse:
    # Only the event loop answering: dependencies belong to readiness (/healthz), so a broker
    # blip does not make Kubernetes restart every api pod.
    return JSONResponse({"status": 1})


@router.get("/metrics")
async def metrics(rt: RuntimeDep) -> Response:
    return Response(generate_latest(rt.metrics.registry), media_type=CONTENT_TYPE_LATEST)
