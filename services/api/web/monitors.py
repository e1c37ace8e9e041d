"""The Monitors page: the heartbeats and escalation policies of the signed-in user's
applications (issue 17 §3, §5), read through the feature homes the API uses; and the
rotation of an application's status-callback signing secret (§6), shown on its page."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from overpush import escalations, heartbeats, status_callbacks
from overpush.ids import row_id
from overpush.models import App
from sqlalchemy import select

from services.api.deps import RuntimeDep
from services.api.web.render import page, redirect
from services.api.web.sessions import CsrfDep, ViewerDep

router = APIRouter(include_in_schema=False)


def when(moment: datetime | None) -> str:
    """A time as people on any timezone read it in a table: UTC, to the minute."""
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "never"


def span(seconds: int) -> str:
    """A period in the largest unit that divides it: 86400 -> "1 d", 600 -> "10 min"."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"


@router.get("/monitors")
async def monitors_page(request: Request, rt: RuntimeDep, who: ViewerDep) -> HTMLResponse:
    async with rt.sessions() as session:
        apps = list((await session.scalars(
            select(App).where(App.owner_id == who.user.id).order_by(App.name, App.id))).all())
        beats = [(app, hb) for app in apps for hb in await heartbeats.of_app(session, app.id)]
        policies = [(app, p, escalations.load_levels(p.levels)) for app in apps
                    for p in await escalations.of_app(session, app.id)]
    return await page(request, "monitors.html", user=who.user, beats=beats,
                      policies=policies, when=when, span=span, base_url=rt.settings.base_url,
                      ping_url=heartbeats.ping_url, has_apps=bool(apps))


@router.post("/apps/{app_id}/status-secret")
async def rotate_status_secret(app_id: str, rt: RuntimeDep, who: ViewerDep,
                               _: CsrfDep) -> Response:
    """A new status-callback signing secret; the old one signs too for 24 hours."""
    number = row_id(app_id)  # any text from the URL: never a 5xx (issue 14, item 12)
    if number is None or not await status_callbacks.rotate_secret(rt, who.user.id, number):
        return redirect("/")
    return redirect(f"/apps/{number}?notice=status_secret_rotated")
