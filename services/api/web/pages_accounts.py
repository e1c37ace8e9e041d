"""Pages to sign up, confirm, log in (with a second factor), log out and reset a password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from overpush import accounts, credentials, throttle, two_factor, users
from overpush.errors import E
from overpush.ids import digest
from overpush.models import WebSession
from overpush.runtime import Runtime
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.background import BackgroundTask

from services.api.deps import RuntimeDep, client_of
from services.api.web import recovery
from services.api.web.render import page, redirect
from services.api.web.sessions import (
    SESSION_COOKIE,
    CsrfDep,
    end_session,
    session_of,
    start_session,
)
from services.api.web.wording import Say

router = APIRouter(include_in_schema=False)
F = Annotated[str, Form()]


def after(response: Response, rt: Runtime, mail: accounts.Mail | None) -> Response:
    """Send `mail` once the answer is out: how long the answer takes must not tell whether
    an address has an account."""
    if mail is not None:
        response.background = BackgroundTask(mail.send, rt)
    return response


@router.get("/signup")
async def signup_form(request: Request) -> HTMLResponse:
    return await page(request, "signup.html")


@router.post("/signup")
async def signup(request: Request, rt: RuntimeDep, _: CsrfDep, email: F,
                 password: F) -> Response:
    limits = throttle.signup_limits(rt, client_of(request))
    if await throttle.over(rt, limits):
        return await page(request, "signup.html", 429, email=email,
                          error=E.SIGNUP_THROTTLED.text)
    try:
        mail = await accounts.sign_up(rt, email, password)
    except accounts.AccountError as exc:
        return await page(request, "signup.html", 400, error=str(exc), email=email)
    await throttle.count(rt, throttle.keys_of(limits))
    # The same answer whether the address was free or already had an account (that
    # account's owner gets a mail saying so instead of a confirmation link).
    return after(await page(request, "notice.html", title="Check your mail",
                            text=f"We sent a mail to {email.strip()}. Open the link in it to "
                                 "confirm your address, then log in."), rt, mail)


@router.get("/confirm/{token}")
async def confirm(request: Request, token: str, rt: RuntimeDep) -> HTMLResponse:
    if await accounts.confirm(rt, token):
        return await page(request, "notice.html", title="Address confirmed",
                          text="Your e-mail address is confirmed. You can now create "
                               "applications and send notifications.",
                          link=("/", "Go to your dashboard"))
    return await page(request, "notice.html", 400, title="Link not valid",
                      text="This confirmation link is unknown, used or expired. Log in: the "
                           "dashboard says whether your address still needs confirming.",
                      link=("/login", "Log in"))


@router.get("/login")
async def login_form(request: Request) -> HTMLResponse:
    return await page(request, "login.html")


@router.post("/login")
async def login(request: Request, rt: RuntimeDep, _: CsrfDep, email: F,
                password: F) -> Response:
    limits = throttle.login_limits(rt, users.email_key(email), client_of(request))
    if await throttle.over(rt, limits):  # before any hashing
        return await page(request, "login.html", 429, email=email,
                          error="Too many failed log-ins. Wait a few minutes and try again.")
    user = await credentials.authenticate(rt, email, password)
    if user is None:
        await throttle.count(rt, throttle.keys_of(limits))
        return await page(request, "login.html", 400, email=email, error=Say(
            "Wrong e-mail address or password. Check both, or choose a new password.",
            "/reset", "Reset your password"))
    await throttle.clear(rt, throttle.keys_of(limits)[:1])
    response = redirect("/login/2fa" if user.totp_enabled else "/")
    await start_session(rt, request, response, user, pending_2fa=user.totp_enabled)
    return response


@router.get("/login/2fa")
async def second_factor_form(request: Request) -> HTMLResponse:
    return await page(request, "twofa_login.html")


@router.post("/login/2fa")
async def second_factor(request: Request, rt: RuntimeDep, _: CsrfDep, code: F) -> Response:
    found = await session_of(rt, request)
    if found is None:
        return redirect("/login")
    web, user = found
    if not web.pending_2fa:
        return redirect("/")

    async def recovery_code(session: AsyncSession) -> bool:
        # Instead of a code from the app, one of the recovery codes (each works once).
        return await recovery.use(session, user.id, code, rt.clock.now())

    outcome = await two_factor.second_factor(rt, user, code, web.digest, recovery_code)
    if outcome == "throttled":
        return await page(request, "twofa_login.html", 429, lookup=False,
                          error="Too many wrong codes. Wait a few minutes and try again.")
    if outcome == "wrong":
        return await page(request, "twofa_login.html", 400, lookup=False, error=(
            "That code did not match. Type the code your authenticator app shows now, "
            "or one of your recovery codes."))
    async with rt.sessions() as session, session.begin():
        await session.execute(update(WebSession).where(WebSession.digest == web.digest)
                              .values(pending_2fa=False))
    return redirect("/")


@router.post("/logout")
async def logout(request: Request, rt: RuntimeDep, _: CsrfDep) -> Response:
    response = redirect("/login")
    await end_session(rt, request, response)
    return response


@router.get("/reset")
async def reset_request_form(request: Request) -> HTMLResponse:
    return await page(request, "reset_request.html")


@router.post("/reset")
async def reset_request(request: Request, rt: RuntimeDep, _: CsrfDep, email: F) -> Response:
    limits = throttle.reset_limits(rt, users.email_key(email), client_of(request))
    mail = None
    # Over the limit, the answer is the same and no mail goes: a neutral page cannot be
    # used to bomb a mailbox.
    if not await throttle.over(rt, limits):
        await throttle.count(rt, throttle.keys_of(limits))
        mail = await credentials.request_reset(rt, email)
    return after(await page(request, "notice.html", title="Check your mail",
                            text="If an account uses that address, we sent it a link to "
                                 "choose a new password."), rt, mail)


@router.get("/reset/{token}")
async def reset_form(request: Request, token: str) -> HTMLResponse:
    return await page(request, "reset.html", token=token)


@router.post("/reset/{token}")
async def reset(request: Request, token: str, rt: RuntimeDep, _: CsrfDep,
                password: F) -> Response:
    try:
        done = await credentials.reset(rt, token, password)
    except accounts.AccountError as exc:
        return await page(request, "reset.html", 400, token=token, error=str(exc))
    if not done:
        return await page(request, "notice.html", 400, title="Link not valid",
                          text="This reset link is unknown, used or expired.")
    return await page(request, "notice.html", title="Password changed",
                      text="Your password is changed. Log in with the new one.",
                      link=("/login", "Log in"))


__all__ = ["SESSION_COOKIE", "digest", "router"]
