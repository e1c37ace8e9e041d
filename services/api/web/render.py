"""Server-rendered pages: Jinja2 templates with the CSRF token, the signed-in user (for the
header on every page) and the page's notice or problem."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from overpush import platforms
from overpush.apps import is_web_url
from overpush.models import User

from services.api.web import wording
from services.api.web.sessions import csrf_token, finish, signed_in
from services.api.web.wording import Say

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TEMPLATES.env.filters["platform"] = platforms.name_of  # "I" -> "iOS"
# Only http and https URLs become links (a stored javascript: URL from before migration 0110
# or from anywhere else renders as nothing).
TEMPLATES.env.tests["web_url"] = is_web_url


async def page(request: Request, name: str, status: int = 200, *, user: User | None = None,
               error: str | Say | None = None, lookup: bool = True,
               **context: Any) -> HTMLResponse:
    """Render `name`. Without `user`, the session decides which header to show (`lookup`
    False skips that, for error pages that must not touch the database)."""
    if user is None and lookup:
        user = await signed_in(request)
    problem = Say(error) if isinstance(error, str) else error
    notice = wording.notice(request.query_params.get("notice", "")) if status < 400 else None
    response = TEMPLATES.TemplateResponse(
        request, name, {"csrf": csrf_token(request), "user": user, "problem": problem,
                        "notice": notice, **context},
        status_code=status,
    )
    finish(request, response)
    return response


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)
