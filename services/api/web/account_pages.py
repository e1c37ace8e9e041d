"""The account page: quiet hours and sounds, and two-factor authentication with its
one-time recovery codes."""

from __future__ import annotations

import base64
import io
from typing import Annotated, Any
from zoneinfo import available_timezones

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from overpush import credentials, revoke, two_factor
from overpush.errors import ApiError, E
from overpush.models import User
from overpush.runtime import Runtime
from overpush.sounds import BUILTIN_SOUNDS
from overpush.user_settings import apply_user_settings
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import RuntimeDep
from services.api.web import recovery, wording
from services.api.web.render import page, redirect
from services.api.web.sessions import CsrfDep, Viewer, ViewerDep
from services.api.web.wording import Say

router = APIRouter(include_in_schema=False)
Opt = Annotated[str, Form()]
ZONES = sorted(available_timezones())
WRONG_CODE = Say("That code did not match. Codes change every 30 seconds: type the one your "
                 "app shows now, or use one of your recovery codes.")


async def _account(request: Request, rt: Runtime, who: Viewer, status: int = 200,
                   **extra: Any) -> HTMLResponse:
    async with rt.sessions() as session:
        codes_left = await recovery.left(session, who.user.id)
    return await page(request, "account.html", status, user=who.user, zones=ZONES,
                      sounds=BUILTIN_SOUNDS, codes_left=codes_left, **extra)


@router.get("/account")
async def account(request: Request, rt: RuntimeDep, who: ViewerDep) -> HTMLResponse:
    return await _account(request, rt, who)


@router.post("/settings/alerts")
async def alert_settings(request: Request, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                         quiet_start: Opt = "", quiet_end: Opt = "", timezone: Opt = "UTC",
                         default_sound: Opt = "pushover") -> Response:
    values = {"quiet_start": quiet_start, "quiet_end": quiet_end, "timezone": timezone,
              "default_sound": default_sound}
    try:
        async with rt.sessions() as session, session.begin():
            user = await session.get(User, who.user.id)
            assert user is not None
            apply_user_settings(user, values)
    except ApiError as exc:  # the transaction rolled back
        return await _account(request, rt, who, 400, error=wording.explain(exc))
    return redirect("/account?notice=settings_saved")


def qr_data_url(uri: str) -> str:
    """The otpauth URI as an SVG QR code in a data: URL (an <img>, so no inline markup)."""
    import qrcode
    import qrcode.image.svg

    buf = io.BytesIO()
    qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, border=2).save(buf)
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode()


async def _setup(request: Request, who: Viewer, secret: str, status: int = 200,
                 error: Say | None = None) -> HTMLResponse:
    return await page(request, "twofa_setup.html", status, user=who.user, secret=secret,
                      qr=qr_data_url(two_factor.totp_uri(who.user, secret)), error=error)


@router.get("/settings/2fa")
async def twofa_setup(request: Request, rt: RuntimeDep, who: ViewerDep) -> Response:
    if who.user.totp_enabled:
        return redirect("/account")
    # The secret is kept until a code matches: reloading, or a wrong code, shows the same QR
    # code, so the person never has to scan a new one.
    secret = who.user.totp_pending_secret
    if not secret:
        # Set only where none is pending, then read back: two tabs opened at once show the
        # same secret, the one that was stored.
        async with rt.sessions() as session, session.begin():
            await session.execute(update(User).where(
                User.id == who.user.id, User.totp_pending_secret.is_(None)
            ).values(totp_pending_secret=two_factor.new_totp_secret()))
            secret = await session.scalar(select(User.totp_pending_secret)
                                          .where(User.id == who.user.id))
        assert secret is not None
    return await _setup(request, who, secret)


@router.post("/settings/2fa")
async def twofa_enable(request: Request, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                       code: Opt = "") -> Response:
    secret = who.user.totp_pending_secret
    if who.user.totp_enabled or not secret:
        return redirect("/settings/2fa")
    step = two_factor.totp_step(secret, code, rt.clock.now(), None)
    if step is None:
        return await _setup(request, who, secret, 400, WRONG_CODE)
    async with rt.sessions() as session, session.begin():
        # The code just typed is spent: it cannot log in anywhere else.
        await session.execute(update(User).where(User.id == who.user.id).values(
            totp_secret=secret, totp_enabled=True, totp_pending_secret=None,
            totp_last_step=step))
        codes = await recovery.replace(session, who.user.id, rt.clock.now())
        # Other signed-in browsers must pass the new second factor too, and every device
        # logs in again with it (revoke.everything).
        revoke.tell_devices(session, rt,
                            await revoke.everything(session, who.user.id, who.session_digest))
    return await page(request, "recovery_codes.html", user=who.user, codes=codes, fresh=True)


async def _second_factor_ok(rt: Runtime, who: Viewer, code: str) -> bool:
    """A current TOTP code, or one of the recovery codes (which is then spent); throttled
    like the log-in's second step (two_factor.second_factor)."""

    async def recovery_code(session: AsyncSession) -> bool:
        return await recovery.use(session, who.user.id, code, rt.clock.now())

    return await two_factor.second_factor(
        rt, who.user, code, who.session_digest, recovery_code) == "ok"


@router.post("/settings/2fa/recovery")
async def new_recovery_codes(request: Request, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                             code: Opt = "") -> Response:
    if not who.user.totp_enabled:
        return redirect("/account")
    if not await _second_factor_ok(rt, who, code):
        return await _account(request, rt, who, 400, error=WRONG_CODE)
    async with rt.sessions() as session, session.begin():
        codes = await recovery.replace(session, who.user.id, rt.clock.now())
    return await page(request, "recovery_codes.html", user=who.user, codes=codes, fresh=False)


@router.post("/settings/2fa/disable")
async def twofa_disable(request: Request, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                        code: Opt = "") -> Response:
    if not who.user.totp_enabled:
        return redirect("/account")
    if not await _second_factor_ok(rt, who, code):
        return await _account(request, rt, who, 400, error=WRONG_CODE)
    async with rt.sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == who.user.id)
                              .values(totp_secret=None, totp_enabled=False))
        await recovery.clear(session, who.user.id)
        revoke.tell_devices(session, rt,
                            await revoke.everything(session, who.user.id, who.session_digest))
    return redirect("/account?notice=twofa_off")


@router.post("/settings/password")
async def change_password(request: Request, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                          current: Opt = "", password: Opt = "") -> Response:
    """A new password; every other browser and every device logs in again with it."""
    try:
        done = await credentials.change_password(rt, who.user.id, current, password,
                                              who.session_digest)
    except ApiError as exc:
        return await _account(request, rt, who, 400, error=wording.explain(exc))
    if not done:
        return await _account(request, rt, who, 400, error=Say(E.PASSWORD_WRONG.text))
    return redirect("/account?notice=password_changed")
