"""GET /openapi.json (the API reference as OpenAPI 3.1) and GET /docs (the page reading it)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse

from services.api.reference.document import build
from services.api.web.routes import STATIC

router = APIRouter()


def document(request: Request) -> dict[str, Any]:
    """Built once per application from its own routes."""
    doc: dict[str, Any] | None = getattr(request.app.state, "openapi_document", None)
    if doc is None:
        doc = build(request.app.routes)
        request.app.state.openapi_document = doc
    return doc


@router.get("/openapi.json", include_in_schema=False)
async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(document(request))


@router.get("/docs", include_in_schema=False)
async def reference_page() -> FileResponse:
    """Swagger UI, vendored (static/vendor/swagger-ui), started by static/docs.js."""
    return FileResponse(STATIC / "docs.html", media_type="text/html")
