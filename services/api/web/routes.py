"""The web interface: its pages (one router), and the error handlers and static files it
installs on the API application."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from services.api.web import dashboard, icons, pages_accounts, pages_groups, subscribe
from services.api.web.render import page, redirect
from services.api.web.sessions import CsrfFailed, LoginRequired

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)
for _module in (pages_accounts, dashboard, pages_groups, icons, subscribe):
    router.include_router(_module.router)


@router.get("/client")
async def client_page() -> FileResponse:
    return FileResponse(STATIC / "client.html", media_type="text/html")


def install(app: FastAPI) -> None:
    """What the pages need besides routes: their error handlers, and the static files."""
    async def login_required(request: Request, exc: Exception) -> Response:
        return redirect("/login")

    async def csrf_failed(request: Request, exc: Exception) -> Response:
        return page(request, "notice.html", 403, title="Form expired",
                    text="This form was not sent from this site or has expired. Go back, "
                         "reload the page and try again.")

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfFailed, csrf_failed)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
