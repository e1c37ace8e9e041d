"""The dashboard: user key, devices, a test notification, applications and their usage."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from urllib.parse import quote_plus
from zoneinfo import available_timezones

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, Response
from overpush.devices import DEVICE_NAME
from overpush.errors import ApiError
from overpush.icons import IconError, normalise
from overpush.ids import random_key
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message
from overpush.models import App, AppIcon, DailyUsage, Device, User
from overpush.quota import allowance, limit_of
from overpush.sounds import BUILTIN_SOUNDS
from overpush.user_settings import apply_user_settings
from sqlalchemy import delete, select, update

from services.api.deps import RuntimeDep, request_id_of
from services.api.web.render import page, redirect
from services.api.web.sessions import CsrfDep, Viewer, ViewerDep

router = APIRouter(include_in_schema=False)
F = Annotated[str, Form()]
TEST_APP = "Overpush dashboard"
ZONES = sorted(available_timezones())


async def _devices(rt: RuntimeDep, who: Viewer) -> list[Device]:
    async with rt.sessions() as session:
        return list((await session.scalars(
            select(Device).where(Device.user_id == who.user.id).order_by(Device.name))).all())


async def _apps(rt: RuntimeDep, who: Viewer) -> list[App]:
    async with rt.sessions() as session:
        return list((await session.scalars(
            select(App).where(App.owner_id == who.user.id).order_by(App.name))).all())


@router.get("/")
async def home(request: Request, rt: RuntimeDep, who: ViewerDep,
               sent: str = "", saved: str = "", error: str = "") -> HTMLResponse:
    return page(request, "dashboard.html", user=who.user, devices=await _devices(rt, who),
                apps=await _apps(rt, who), sounds=BUILTIN_SOUNDS, sent=sent, saved=saved,
                error=error, zones=ZONES)


@router.post("/devices/{device_id}/{action}")
async def device_action(request: Request, device_id: int, action: str, rt: RuntimeDep,
                        who: ViewerDep, _: CsrfDep) -> Response:
    form = await request.form()
    async with rt.sessions() as session, session.begin():
        mine = (Device.id == device_id) & (Device.user_id == who.user.id)
        if action == "delete":
            await session.execute(delete(Device).where(mine))
        elif action in ("enable", "disable"):
            await session.execute(update(Device).where(mine)
                                  .values(enabled=action == "enable"))
        elif action == "rename":
            name = str(form.get("name", "")).strip()
            if not DEVICE_NAME.match(name):
                return redirect("/?error=Device+names+are+1-25+letters,+digits,+_+or+-")
            taken = await session.scalar(select(Device.id).where(
                Device.user_id == who.user.id, Device.name == name, Device.id != device_id))
            if taken:
                return redirect("/?error=You+already+have+a+device+with+that+name")
            await session.execute(update(Device).where(mine).values(name=name))
    return redirect("/")


@router.post("/test")
async def send_test(request: Request, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                    message: F, device: Annotated[str, Form()] = "",
                    sound: Annotated[str, Form()] = "",
                    priority: Annotated[str, Form()] = "0") -> Response:
    async with rt.sessions() as session, session.begin():
        app = await session.scalar(select(App).where(
            App.owner_id == who.user.id, App.name == TEST_APP))
        if app is None:
            app = App(token=random_key(), name=TEST_APP, owner_id=who.user.id,
                      created_at=rt.clock.now())
            session.add(app)
    try:
        draft = parse_message({"token": app.token, "user": who.user.user_key,
                               "message": message, "device": device, "sound": sound,
                               "priority": priority})
        await accept(rt, draft, request_id_of(request), source="dashboard")
    except ApiError as exc:
        return redirect("/?error=" + quote_plus(" ".join(e.message for e in exc.errors)))
    return redirect("/?sent=1")


@router.post("/apps")
async def register_app(request: Request, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                       name: F, description: Annotated[str, Form()] = "",
                       url: Annotated[str, Form()] = "",
                       icon: Annotated[UploadFile | None, File()] = None) -> Response:
    if who.user.email_confirmed_at is None:
        return redirect("/?error=Confirm+your+e-mail+address+before+registering+applications")
    name = name.strip()
    if not 1 <= len(name) <= 100:
        return redirect("/?error=Application+names+have+1+to+100+characters")
    png = None
    if icon is not None and icon.filename:
        try:
            png = normalise(await icon.read())
        except IconError as exc:
            return redirect("/?error=" + quote_plus(str(exc)))
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        app = App(token=random_key(), name=name, owner_id=who.user.id, created_at=now,
                  description=description.strip()[:500] or None, url=url.strip()[:512] or None)
        session.add(app)
        await session.flush()
        if png is not None:
            session.add(AppIcon(app_id=app.id, png=png, updated_at=now))
    return redirect(f"/apps/{app.id}")


async def _own_app(rt: RuntimeDep, who: Viewer, app_id: int) -> App | None:
    async with rt.sessions() as session:
        return await session.scalar(select(App).where(App.id == app_id,
                                                      App.owner_id == who.user.id))


@router.get("/apps/{app_id}")
async def app_page(request: Request, app_id: int, rt: RuntimeDep,
                   who: ViewerDep) -> Response:
    app = await _own_app(rt, who, app_id)
    if app is None:
        return page(request, "notice.html", 404, title="Not found",
                    text="No such application on your account.", link=("/", "Back"))
    now = rt.clock.now()
    async with rt.sessions() as session:
        limit = limit_of(app, rt.settings.app_monthly_limit)
        month = await allowance(session, app.id, limit, now)
        start = (now - timedelta(days=29)).date()
        rows = dict((await session.execute(
            select(DailyUsage.day, DailyUsage.messages)
            .where(DailyUsage.app_id == app.id, DailyUsage.day >= start))).all())
    days = [(start + timedelta(days=i)) for i in range(30)]
    series = [(d.isoformat(), rows.get(d, 0)) for d in days]
    return page(request, "app.html", user=who.user, app=app, month=month,
                used=month.limit - month.remaining, series=series,
                peak=max([n for _, n in series] + [1]))


@router.post("/apps/{app_id}/regenerate")
async def regenerate(app_id: int, rt: RuntimeDep, who: ViewerDep, _: CsrfDep) -> Response:
    async with rt.sessions() as session, session.begin():
        await session.execute(update(App).where(App.id == app_id, App.owner_id == who.user.id)
                              .values(token=random_key()))
    return redirect(f"/apps/{app_id}")


@router.post("/settings/alerts")
async def alert_settings(request: Request, rt: RuntimeDep, who: ViewerDep,
                         _: CsrfDep) -> Response:
    form = await request.form()
    values = {k: str(form.get(k, "")) for k in ("quiet_start", "quiet_end", "timezone",
                                                "default_sound")}
    async with rt.sessions() as session, session.begin():
        user = await session.get(User, who.user.id)
        assert user is not None
        try:
            apply_user_settings(user, values)
        except ApiError as exc:
            await session.rollback()
            return redirect("/?error=" + quote_plus(" ".join(e.message for e in exc.errors)))
    return redirect("/?saved=1")
