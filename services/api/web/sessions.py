"""Browser sessions in HTTP-only cookies, and CSRF protection for every form.

CSRF uses the double-submit pattern: a random token in its own cookie and in a hidden field
of every form; a POST whose field does not match its cookie is refused. SameSite=Lax cookies
add a second line of defence.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request, Response
from overpush.ids import digest
from overpush.models import User, WebSession
from overpush.runtime import Runtime
from sqlalchemy import delete, select, update

SESSION_COOKIE = "op_session"
# A session's last use is written at most this often (not on every page), which is as
# precise as an inactivity limit of hours needs.
TOUCH_EVERY = timedelta(minutes=1)
CSRF_COOKIE = "op_csrf"
# With an https public URL the cookies carry this prefix: the browser then accepts them only
# when Secure, for path / and without a Domain, so no sibling host or plain-http page can set
# or shadow them.
HOST_PREFIX = "__Host-"


class LoginRequired(Exception):
    """Raised by pages that need a signed-in user; answered with a redirect to /login."""


class CsrfFailed(Exception):
    pass


@dataclass(frozen=True)
class Viewer:
    user: User
    session_digest: str


def _https(request: Request) -> bool:
    rt: Runtime = request.app.state.runtime
    return rt.settings.https


def cookie_name(request: Request, base: str) -> str:
    return HOST_PREFIX + base if _https(request) else base


def secure(request: Request) -> bool:
    # Behind TLS (directly or via an Ingress that sets X-Forwarded-Proto) cookies are Secure.
    return _https(request) or request.url.scheme == "https" or \
        request.headers.get("x-forwarded-proto", "") == "https"


def csrf_token(request: Request) -> str:
    """The token to put in forms: the cookie's, or a new one (set on the response)."""
    token = request.cookies.get(cookie_name(request, CSRF_COOKIE)) or \
        getattr(request.state, "new_csrf", None)
    if token is None:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


def finish(request: Request, response: Response) -> Response:
    """Set the CSRF cookie if this request made one."""
    new = getattr(request.state, "new_csrf", None)
    if new is not None:
        response.set_cookie(cookie_name(request, CSRF_COOKIE), new, httponly=True,
                            samesite="lax",
                            secure=secure(request), path="/")
    return response


async def check_csrf(request: Request) -> None:
    form = await request.form()
    sent = str(form.get("csrf", ""))
    cookie = request.cookies.get(cookie_name(request, CSRF_COOKIE), "")
    if not cookie or not hmac.compare_digest(sent, cookie):
        raise CsrfFailed()


async def start_session(rt: Runtime, request: Request, response: Response, user: User,
                        pending_2fa: bool = False) -> None:
    token = secrets.token_urlsafe(32)
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        session.add(WebSession(
            digest=digest(token), user_id=user.id, pending_2fa=pending_2fa, created_at=now,
            expires_at=now + timedelta(days=rt.settings.web_session_days), last_seen_at=now,
        ))
    response.set_cookie(cookie_name(request, SESSION_COOKIE), token, httponly=True,
                        samesite="lax",
                        secure=secure(request), path="/",
                        max_age=rt.settings.web_session_days * 86400)


async def end_session(rt: Runtime, request: Request, response: Response) -> None:
    token = request.cookies.get(cookie_name(request, SESSION_COOKIE))
    if token:
        async with rt.sessions() as session, session.begin():
            await session.execute(delete(WebSession).where(WebSession.digest == digest(token)))
    response.delete_cookie(cookie_name(request, SESSION_COOKIE), path="/",
                           secure=secure(request), httponly=True, samesite="lax")


async def session_of(rt: Runtime, request: Request) -> tuple[WebSession, User] | None:
    token = request.cookies.get(cookie_name(request, SESSION_COOKIE))
    if not token:
        return None
    async with rt.sessions() as session:
        row = (await session.execute(
            select(WebSession, User).join(User, User.id == WebSession.user_id)
            .where(WebSession.digest == digest(token))
        )).first()
    now = rt.clock.now()
    if row is None or not alive(row[0], now, rt.settings.web_session_idle_minutes):
        return None
    web = row[0]
    if web.last_seen_at is None or web.last_seen_at <= now - TOUCH_EVERY:
        async with rt.sessions() as session, session.begin():
            await session.execute(update(WebSession).where(WebSession.digest == web.digest)
                                  .values(last_seen_at=now))
    return web, row[1]


def alive(web: WebSession, now: datetime, idle_minutes: int) -> bool:
    """Whether a session still works: before its end, and used within the idle limit (a
    session from before migration 0110 has no last use yet: its next use sets one)."""
    last = web.last_seen_at or now
    return web.expires_at > now and last > now - timedelta(minutes=idle_minutes)


async def signed_in(request: Request) -> User | None:
    """The fully signed-in user of this request, if any (for the header of every page)."""
    rt: Runtime = request.app.state.runtime
    found = await session_of(rt, request)
    return None if found is None or found[0].pending_2fa else found[1]


async def viewer(request: Request) -> Viewer:
    rt: Runtime = request.app.state.runtime
    found = await session_of(rt, request)
    if found is None or found[0].pending_2fa:
        raise LoginRequired()
    return Viewer(found[1], found[0].digest)


ViewerDep = Annotated[Viewer, Depends(viewer)]
CsrfDep = Annotated[None, Depends(check_csrf)]
