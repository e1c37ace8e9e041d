"""Mounts the web interface on the API application: pages, static files, the client, the
security headers of every answer and HTML error pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from overpush.runtime import Runtime

from services.api.web import (
    account_pages,
    apps_pages,
    dashboard,
    error_pages,
    icons,
    pages_accounts,
    pages_groups,
    subscribe,
)
from services.api.web.headers import SecurityHeaders
from services.api.web.render import page, redirect
from services.api.web.sessions import CsrfFailed, LoginRequired

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    rt: Runtime = app.state.runtime

    async def login_required(request: Request, exc: Exception) -> Response:
        return redirect("/login")

    async def csrf_failed(request: Request, exc: Exception) -> Response:
        return await page(request, "notice.html", 403, title="Form expired",
                          text="This form was not sent from this site or has expired. Go "
                               "back, reload the page and try again.")

    async def client_page() -> FileResponse:
        return FileResponse(STATIC / "client.html", media_type="text/html")

    async def favicon() -> FileResponse:
        return FileResponse(STATIC / "icons" / "favicon.ico", media_type="image/x-icon",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.add_middleware(SecurityHeaders, hsts_max_age=rt.settings.hsts_max_age)
    error_pages.install(app)
    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfFailed, csrf_failed)
    app.add_api_route("/client", client_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/favicon.ico", favicon, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    for module in (pages_accounts, dashboard, apps_pages, account_pages, pages_groups, icons,
                   subscribe):
        app.include_router(module.router)
