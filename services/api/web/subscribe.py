"""Subscription pages (/subscribe/<code>) and clone links (/apps/clone/<code>)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from overpush import subscriptions
from overpush.apps import is_web_url
from overpush.ids import random_key
from overpush.models import App, AppIcon, Subscription
from overpush.sounds import BUILTIN_SOUNDS
from sqlalchemy import select

from services.api.deps import RuntimeDep
from services.api.web.apps_pages import free_name
from services.api.web.headers import policy
from services.api.web.render import page, redirect
from services.api.web.sessions import CsrfDep, ViewerDep, session_of

router = APIRouter(include_in_schema=False)
F = Annotated[str, Form()]


def with_key(success: str, key: str) -> str | None:
    """The success URL with pushover_user_key added; None unless it is http(s)."""
    parts = urlsplit(success)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    joiner = "&" if parts.query else "?"
    return f"{success.split('#')[0]}{joiner}{urlencode({'pushover_user_key': key})}"


async def _offering(rt: RuntimeDep, code: str) -> App | None:
    async with rt.sessions() as session:
        return await session.scalar(select(App).where(App.subscription_code == code)) \
            if code else None


async def _missing(request: Request) -> HTMLResponse:
    return await page(request, "notice.html", 404, title="No such application",
                      text="This link does not belong to any application. Ask whoever sent "
                           "it for a new one.")


@router.get("/subscribe/{code}")
async def subscribe_page(request: Request, code: str, rt: RuntimeDep, success: str = "",
                         failure: str = "") -> HTMLResponse:
    app = await _offering(rt, code)
    if app is None:
        return await _missing(request)
    found = await session_of(rt, request)
    if found is None or found[0].pending_2fa:
        return await page(request, "notice.html", 200, title=f"Subscribe to {app.name}",
                          text="Log in first, then open this link again.",
                          link=("/login", "Log in"))
    async with rt.sessions() as session:
        current = await session.scalar(select(Subscription).where(
            Subscription.app_id == app.id, Subscription.user_id == found[1].id))
    response = await page(request, "subscribe.html", user=found[1], app=app, code=code,
                          success=success, failure=failure if with_key(failure, "") else "",
                          sounds=BUILTIN_SOUNDS, subscribed=current is not None,
                          current_sound=current.sound if current else None)
    # The form's answer redirects to the application's success URL: the policy must let
    # this page's form lead there (form-action also covers redirects).
    target = with_key(success, "")
    if target is not None:
        parts = urlsplit(target)
        response.headers["Content-Security-Policy"] = policy(
            {"form-action": (f"{parts.scheme}://{parts.netloc}",)})
    return response


@router.post("/subscribe/{code}")
async def subscribe(request: Request, code: str, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                    success: F = "", sound: F = "") -> Response:
    app = await _offering(rt, code)
    if app is None:
        return await _missing(request)
    async with rt.sessions() as session, session.begin():
        key = await subscriptions.subscribe(session, app.id, who.user.id, rt.clock.now(),
                                            sound if sound in BUILTIN_SOUNDS else None)
    target = with_key(success, key)
    if target is not None:
        return redirect(target)
    return await page(request, "notice.html", title=f"Subscribed to {app.name}",
                      text=f"Give {app.name} this key; it reaches your devices only with "
                           f"{app.name}'s messages.",
                      value=("Your subscription key", key), link=("/", "Go to the dashboard"))


@router.post("/subscribe/{code}/unsubscribe")
async def unsubscribe(request: Request, code: str, rt: RuntimeDep, who: ViewerDep,
                      _: CsrfDep) -> Response:
    app = await _offering(rt, code)
    if app is None:
        return await _missing(request)
    async with rt.sessions() as session, session.begin():
        await subscriptions.unsubscribe(session, app.id, who.user.id)
    return await page(request, "notice.html", title=f"Unsubscribed from {app.name}",
                      text=f"{app.name}'s key for you no longer works.",
                      link=("/", "Go to the dashboard"))


async def _cloneable(rt: RuntimeDep, code: str) -> App | None:
    async with rt.sessions() as session:
        return await session.scalar(select(App).where(App.clone_code == code)) \
            if code else None


@router.get("/apps/clone/{code}")
async def clone_page(request: Request, code: str, rt: RuntimeDep,
                     who: ViewerDep) -> HTMLResponse:
    app = await _cloneable(rt, code)
    if app is None:
        return await _missing(request)
    return await page(request, "clone.html", app=app, code=code)


@router.post("/apps/clone/{code}")
async def clone(request: Request, code: str, rt: RuntimeDep, who: ViewerDep,
                _: CsrfDep) -> Response:
    source = await _cloneable(rt, code)
    if source is None:
        return await _missing(request)
    if who.user.email_confirmed_at is None:
        return await page(request, "notice.html", 403, title="Confirm your address first",
                          text="Applications need a confirmed e-mail address: open the link "
                               "we mailed you, then this page again.")
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        name = await free_name(session, who.user.id, source.name)
        copy = App(token=random_key(), name=name, owner_id=who.user.id,
                   description=source.description, created_at=now,
                   url=source.url if is_web_url(source.url) else None)
        session.add(copy)
        await session.flush()
        icon = await session.scalar(select(AppIcon.png).where(AppIcon.app_id == source.id))
        if icon is not None:
            session.add(AppIcon(app_id=copy.id, png=icon, updated_at=now))
    return await page(request, "notice.html", title=f"Your {copy.name} application",
                      text="Your copy is ready, with its own token. Its page shows the token "
                           "again and how much it has sent.",
                      value=("API token", copy.token), link=(f"/apps/{copy.id}", "Open it"))
