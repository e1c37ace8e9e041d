"""Errors answered as HTML pages for browser routes; the API (/1/) keeps Pushover's JSON.

Installed after the API's own handlers: each one here hands API paths to the handler it
replaces, so `/1/...` answers exactly as before.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from overpush.errors import ApiError, E
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException

from services.api.deps import request_id_of
from services.api.web.render import page

log = logging.getLogger(__name__)
Handler = Callable[[Request, Exception], Awaitable[Response]]
ApiHandler = Callable[[Request, Any], Response | Awaitable[Response]]
# Paths that answer machines, not people: their errors stay JSON. That is the API (/1/, and
# anything asking for .json or .xml, such as another version's path) and the probes.
API_PREFIXES = ("/1/", "/healthz", "/livez", "/metrics")
API_SUFFIXES = (".json", ".xml")
TROUBLE = (OperationalError, DBAPIError, TimeoutError, ConnectionError)


def is_api(path: str) -> bool:
    return path.startswith(API_PREFIXES) or path.endswith(API_SUFFIXES)


def _texts(exc: Exception) -> tuple[int, str, str]:
    """Status, title and text of the page for an error."""
    if isinstance(exc, HTTPException) and exc.status_code == 404:
        return 404, "Page not found", ("There is no page at this address. Check the link, or "
                                       "start again from the dashboard.")
    if isinstance(exc, HTTPException) and exc.status_code == 405:
        return 405, "Not possible here", ("This address cannot be used that way. Go back and "
                                          "use the page's own buttons and links.")
    if isinstance(exc, HTTPException) and exc.status_code == 413:
        return 413, "Too much at once", ("What you sent is larger than this server accepts. "
                                         "Go back and send something smaller.")
    if isinstance(exc, HTTPException):
        return exc.status_code, "Something is not right", "Go back and try again."
    if isinstance(exc, RequestValidationError):
        return 400, "Form incomplete", ("Some of the form's fields did not arrive. Go back, "
                                        "reload the page and send it again.")
    if isinstance(exc, TROUBLE):
        return 503, "Try again in a moment", ("Overpush could not reach its database just now. "
                                              "Wait a few seconds and reload the page.")
    return 500, "Something went wrong", ("This is a fault on our side and it has been logged. "
                                         "Reload the page; if it keeps happening, tell the "
                                         "operator of this server.")


def _either(api: ApiHandler | None) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        if is_api(request.url.path):
            if api is not None:
                answer = api(request, exc)
                return await answer if inspect.isawaitable(answer) else answer
            # A fault nothing else handled, on an API path: still Pushover's envelope.
            log.error("request %s failed", request_id_of(request), exc_info=exc)
            err = ApiError.of(E.INTERNAL)
            return JSONResponse(err.body(request_id_of(request)), status_code=err.status)
        status, title, text = _texts(exc)
        if status >= 500:
            log.error("page %s failed: %s", request.url.path, exc, exc_info=exc)
        headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else None
        response = await page(request, "notice.html", status, title=title, text=text,
                              link=("/", "Go to the dashboard"), lookup=status < 500)
        if headers:
            response.headers.update(headers)
        return response

    return handle


def install(app: FastAPI) -> None:
    for kind in (HTTPException, RequestValidationError, *TROUBLE, Exception):
        app.add_exception_handler(kind, _either(app.exception_handlers.get(kind)))
