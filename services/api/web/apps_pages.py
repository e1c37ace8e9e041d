"""Applications on the dashboard: create one (name unique per account, icon), its page with
the token and a usage chart, and a new token."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from overpush import status_callbacks
from overpush.apps import app_url
from overpush.errors import ApiError
from overpush.icons import IconError, normalise
from overpush.ids import random_key, row_id
from overpush.models import App, AppIcon, DailyUsage, MailAccount
from overpush.quota import CENTRAL, allowance, limit_of
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import RuntimeDep
from services.api.web import dashboard, wording
from services.api.web.chart import usage_chart
from services.api.web.render import page, redirect
from services.api.web.sessions import CsrfDep, ViewerDep
from services.api.web.wording import Say

router = APIRouter(include_in_schema=False)
Opt = Annotated[str, Form()]
NAME_MAX = 100


async def name_taken(session: AsyncSession, owner_id: int, name: str) -> bool:
    """Names are compared without case: "Backups" and "backups" look alike in a list."""
    return bool(await session.scalar(select(App.id).where(
        App.owner_id == owner_id, func.lower(App.name) == name.lower()).limit(1)))


async def free_name(session: AsyncSession, owner_id: int, wanted: str) -> str:
    """`wanted`, or `wanted (2)`, `(3)`... : the first name the owner does not use yet."""
    name, n = wanted, 1
    while await name_taken(session, owner_id, name):
        n += 1
        suffix = f" ({n})"
        name = wanted[:NAME_MAX - len(suffix)] + suffix
    return name


@router.post("/apps")
async def register_app(request: Request, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                       name: Opt = "", description: Opt = "", url: Opt = "",
                       icon: Annotated[UploadFile | None, File()] = None) -> Response:
    typed = {"name": name, "description": description, "url": url}

    async def problem(text: str) -> Response:
        return await dashboard.answer(request, rt, who, Say(text), **typed)

    if who.user.email_confirmed_at is None:
        return await problem("Confirm your e-mail address first: open the link we mailed "
                             "you. Then you can create applications.")
    try:
        url_ok = app_url(url)
    except ApiError:
        return await problem("The website must be an http:// or https:// address, or empty.")
    name = name.strip()
    if not 1 <= len(name) <= NAME_MAX:
        return await problem("Give the application a name of 1 to 100 characters.")
    png = None
    if icon is not None and icon.filename:
        try:
            png = normalise(await icon.read())
        except IconError as exc:
            return await dashboard.answer(request, rt, who, wording.explain(exc), **typed)
    now = rt.clock.now()
    app = App(token=random_key(), name=name, owner_id=who.user.id, created_at=now,
              description=description.strip()[:500] or None, url=url_ok)
    async with rt.sessions() as session, session.begin():
        duplicate = await name_taken(session, who.user.id, name)
        if not duplicate:
            session.add(app)
            await session.flush()
            if png is not None:
                session.add(AppIcon(app_id=app.id, png=png, updated_at=now))
    # Answered after the transaction: the page reads the database again.
    if duplicate:
        return await problem(f"You already have an application named “{name}”. Give this "
                             "one another name, so that you can tell their notifications "
                             "apart.")
    return redirect(f"/apps/{app.id}")


@router.get("/apps/{app_id}")
async def app_page(request: Request, app_id: str, rt: RuntimeDep, who: ViewerDep) -> Response:
    now, number = rt.clock.now(), row_id(app_id)
    async with rt.sessions() as session:
        app = None if number is None else await session.scalar(
            select(App).where(App.id == number, App.owner_id == who.user.id))
        if app is None:
            return await page(request, "notice.html", 404, user=who.user,
                              title="Application not found",
                              text="No application with this number is on your account.",
                              link=("/", "Go to the dashboard"))
        month = await allowance(session, app.id, limit_of(app, rt.settings.app_monthly_limit),
                                now)
        # Daily counts are kept by US Central days, like the monthly periods.
        start = (now.astimezone(CENTRAL) - timedelta(days=29)).date()
        rows = dict((await session.execute(
            select(DailyUsage.day, DailyUsage.messages)
            .where(DailyUsage.app_id == app.id, DailyUsage.day >= start))).all())
        is_mail = bool(await session.scalar(select(MailAccount.user_id).where(
            MailAccount.app_id == app.id)))
    series = [(d, rows.get(d, 0)) for d in (start + timedelta(days=i) for i in range(30))]
    secret = await status_callbacks.secret_of(rt, app.id)  # issue 17: status callbacks
    return await page(request, "app.html", user=who.user, app=app, month=month,
                      used=month.limit - month.remaining, chart=usage_chart(series),
                      is_mail=is_mail, status_secret=secret)


@router.post("/apps/{app_id}/regenerate")
async def regenerate(app_id: str, rt: RuntimeDep, who: ViewerDep, _: CsrfDep) -> Response:
    number = row_id(app_id)
    if number is None:
        return redirect("/")
    async with rt.sessions() as session, session.begin():
        await session.execute(update(App).where(App.id == number, App.owner_id == who.user.id)
                              .values(token=random_key()))
    return redirect(f"/apps/{number}?notice=token_regenerated")
