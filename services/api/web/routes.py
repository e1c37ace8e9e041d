"""The web interface: its pages (one router), and what it installs on the API application:
the security headers of every answer, HTML error pages, and the static files."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from overpush.runtime import Runtime

from services.api.web import (
    account_pages,
    apps_pages,
    dashboard,
    error_pages,
    icons,
    invitations,
    monitors,
    pages_accounts,
    pages_groups,
    subscribe,
)
from services.api.web.headers import SecurityHeaders
from services.api.web.render import page, redirect
from services.api.web.sessions import CsrfFailed, LoginRequired

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)
for _module in (pages_accounts, dashboard, apps_pages, account_pages, pages_groups, icons,
                subscribe, invitations, monitors):
    router.include_router(_module.router)


@router.get("/client")
async def client_page() -> FileResponse:
    return FileResponse(STATIC / "client.html", media_type="text/html")


# The installable app: its manifest and service worker. The worker is served from the root
# (not /static/) so that its scope may be /client; no-cache makes updates reach browsers.
@router.get("/client.webmanifest")
async def client_manifest() -> FileResponse:
    return FileResponse(STATIC / "client.webmanifest", media_type="application/manifest+json",
                        headers={"Cache-Control": "no-cache"})


@router.get("/client-sw.js")
async def client_worker() -> FileResponse:
    return FileResponse(STATIC / "client-sw.js", media_type="text/javascript",
                        headers={"Cache-Control": "no-cache"})


@router.get("/favicon.ico")
async def favicon() -> FileResponse:
    return FileResponse(STATIC / "icons" / "favicon.ico", media_type="image/x-icon",
                        headers={"Cache-Control": "public, max-age=86400"})


def install(app: FastAPI) -> None:
    """What the pages need besides routes: security headers on every answer, their error
    handlers (after the API's own, which they hand API paths to), and the static files."""
    rt: Runtime = app.state.runtime

    async def login_required(request: Request, exc: Exception) -> Response:
        return redirect("/login")

    async def csrf_failed(request: Request, exc: Exception) -> Response:
        return await page(request, "notice.html", 403, title="Form expired",
                          text="This form was not sent from this site or has expired. Go "
                               "back, reload the page and try again.")

    app.add_middleware(SecurityHeaders, hsts_max_age=rt.settings.hsts_max_age)
    error_pages.install(app)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfFailed, csrf_failed)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
