"""Server-rendered pages: Jinja2 templates with the CSRF token and the signed-in user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from overpush import platforms

from services.api.web.sessions import csrf_token, finish

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["platform"] = platforms.name_of  # "I" -> "iOS"


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    response = TEMPLATES.TemplateResponse(
        request, name, {"csrf": csrf_token(request), **context}, status_code=status
    )
    finish(request, response)
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
