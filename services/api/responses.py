"""Pushover's envelopes, and the one place errors become HTTP answers."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from overpush.errors import ApiError, E, FieldError
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException

from services.api.deps import get_runtime, request_id_of
from services.api.xml_format import XmlFormat

log = logging.getLogger(__name__)


def ok(request_id: str, headers: dict[str, str] | None = None, **fields: Any) -> JSONResponse:
    return JSONResponse({**fields, "status": 1, "request": request_id}, headers=headers)


def _answer(request: Request, err: ApiError) -> JSONResponse:
    rid = request_id_of(request)
    try:
        metrics = get_runtime(request).metrics
        for e in err.errors:
            metrics.rejected.labels(e.spec.code).inc()
    except AttributeError:
        pass
    return JSONResponse(err.body(rid), status_code=err.status, headers=err.headers)


def install(app: FastAPI) -> None:
    async def api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return _answer(request, exc)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        spec = {404: E.NOT_FOUND, 405: E.METHOD_NOT_ALLOWED,
                413: E.BODY_TOO_LARGE}.get(exc.status_code, E.BODY_INVALID)
        # Keep Starlette's headers: a 405 must say which methods are allowed (Allow).
        return _answer(request, ApiError([FieldError(spec)], headers=dict(exc.headers or {})))

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        return _answer(request, ApiError.of(E.BODY_INVALID, f"invalid request: {exc}"))

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        # Our own trouble (database down, pool exhausted): a 5xx tells clients to retry.
        log.error("request %s failed: %s", request_id_of(request), exc, exc_info=exc)
        return _answer(request, ApiError.of(E.UNAVAILABLE))

    # `.xml` instead of `.json` in an API path asks for the same answer as XML (spec §0).
    app.add_middleware(XmlFormat)
    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(OperationalError, unavailable)
    app.add_exception_handler(DBAPIError, unavailable)
    app.add_exception_handler(TimeoutError, unavailable)
    app.add_exception_handler(ConnectionError, unavailable)
