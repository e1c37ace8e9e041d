"""The dashboard: first-run steps, user key, devices, and a test notification from an app."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from overpush import devices, revoke, team_invitations
from overpush.devices import DEVICE_NAME
from overpush.errors import ApiError
from overpush.ids import row_id
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message
from overpush.models import App, AppUsage, Device, MailAccount
from overpush.runtime import Runtime
from overpush.sounds import BUILTIN_SOUNDS
from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import RuntimeDep, request_id_of
from services.api.web import wording
from services.api.web.firstrun import first_run
from services.api.web.render import page, redirect
from services.api.web.sessions import CsrfDep, Viewer, ViewerDep
from services.api.web.wording import Say

router = APIRouter(include_in_schema=False)
Opt = Annotated[str, Form()]
DEVICE_NOTICES = {"enable": "device_enabled", "disable": "device_disabled",
                  "delete": "device_deleted", "rename": "device_renamed"}


async def own_apps(rt: Runtime, user_id: int) -> list[App]:
    async with rt.sessions() as session:
        return list((await session.scalars(
            select(App).where(App.owner_id == user_id).order_by(App.name, App.id))).all())


async def context(rt: Runtime, who: Viewer, just_sent: bool = False) -> dict[str, Any]:
    """Everything the dashboard shows (also when a form on it is answered with a problem)."""
    uid = who.user.id
    async with rt.sessions() as session:
        devices = list((await session.scalars(
            select(Device).where(Device.user_id == uid).order_by(Device.name))).all())
        mail_app = await session.scalar(select(MailAccount.app_id)
                                        .where(MailAccount.user_id == uid))
        sent = bool(await session.scalar(select(exists().where(
            AppUsage.app_id.in_(select(App.id).where(App.owner_id == uid)),
            AppUsage.used > 0))))
    apps = await own_apps(rt, uid)
    made = [a for a in apps if a.id != mail_app]
    return {
        "devices": devices, "apps": apps, "mail_app": mail_app,
        "sounds": BUILTIN_SOUNDS, "base_url": rt.settings.base_url,
        "steps": first_run(bool(devices), bool(made), sent, just_sent),
        "test_app": made[0].id if made else None, "form": {},
        "invitations": await team_invitations.for_user(rt, uid),
    }


async def answer(request: Request, rt: Runtime, who: Viewer, problem: Say,
                  **form: str) -> HTMLResponse:
    """The dashboard again, with what went wrong and the values the person had typed."""
    return await page(request, "dashboard.html", 400, user=who.user, error=problem,
                      **{**await context(rt, who), "form": form})


@router.get("/")
async def home(request: Request, rt: RuntimeDep, who: ViewerDep,
               notice: str = "") -> HTMLResponse:
    return await page(request, "dashboard.html", user=who.user,
                      **await context(rt, who, just_sent=notice == "test_sent"))


@router.post("/devices/{device_id}/{action}")
async def device_action(request: Request, device_id: str, action: str, rt: RuntimeDep,
                        who: ViewerDep, _: CsrfDep, name: Opt = "") -> Response:
    number = row_id(device_id)
    if action not in DEVICE_NOTICES or number is None:
        return redirect("/")
    problem, ended = None, list[str]()
    async with rt.sessions() as session, session.begin():
        device = await session.scalar(select(Device).where(
            Device.id == number, Device.user_id == who.user.id))
        if device is None:
            pass
        elif action == "delete":
            await devices.delete_device(session, device)  # its queue goes with it
            ended = [device.public_id]
        elif action in ("enable", "disable"):
            device.enabled = action == "enable"
            ended = [] if device.enabled else [device.public_id]
        else:
            problem = await _rename(session, who.user.id, number, name.strip())
        # A deleted or disabled device's open WebSocket gets `E` and is closed, wherever it
        # is held; its log-in is refused from now on.
        revoke.tell_devices(session, rt, ended)
    # Answered after the transaction: the page reads the database again.
    if problem is not None:
        return await answer(request, rt, who, problem)
    return redirect(f"/?notice={DEVICE_NOTICES[action]}")


async def _rename(session: AsyncSession, user_id: int, device_id: int, name: str) -> Say | None:
    """Rename one of the user's devices; what is wrong with the name, if anything."""
    if not DEVICE_NAME.match(name):
        return Say("Device names have 1 to 25 letters, digits, _ or -, without spaces.")
    taken = await session.scalar(select(Device.id).where(
        Device.user_id == user_id, Device.name == name, Device.id != device_id))
    if taken:
        return Say(f"You already have a device named {name}. Pick another name.")
    await session.execute(update(Device).where(Device.id == device_id,
                                               Device.user_id == user_id).values(name=name))
    return None


@router.post("/test")
async def send_test(request: Request, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                    message: Opt = "", app: Opt = "", device: Opt = "", sound: Opt = "",
                    priority: Opt = "0") -> Response:
    typed = {"message": message, "app": app, "device": device, "sound": sound,
             "priority": priority}
    async with rt.sessions() as session:
        sender = await session.scalar(select(App).where(
            App.id == (row_id(app) or -1), App.owner_id == who.user.id))
    if who.user.email_confirmed_at is None:  # no token works before (issue 14, item 4)
        return await answer(request, rt, who, Say(
            "Confirm your e-mail address first: open the link we mailed you."), **typed)
    if sender is None:
        return await answer(request, rt, who, Say(
            "Pick the application to send from. Create one first if the list is empty.",
            "#new-app", "Create an application"), **typed)
    try:
        draft = parse_message({"token": sender.token, "user": who.user.user_key,
                               "message": message, "device": device, "sound": sound,
                               "priority": priority})
        await accept(rt, draft, request_id_of(request), source="dashboard")
    except ApiError as exc:
        return await answer(request, rt, who, wording.explain(exc), **typed)
    return redirect("/?notice=test_sent")
