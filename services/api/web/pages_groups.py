"""Dashboard pages for delivery groups (and their members) and e-mail gateway addresses.

Both reuse the domain operations of the API (overpush.groups, overpush.aliases):
the same checks; their errors are shown in words a person reads (wording.explain), on the
page that answers the form.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from overpush import aliases, groups
from overpush.errors import ApiError
from overpush.sounds import BUILTIN_SOUNDS

from services.api.deps import RuntimeDep
from services.api.web import wording
from services.api.web.render import page, redirect
from services.api.web.sessions import CsrfDep, Viewer, ViewerDep
from services.api.web.wording import Say

router = APIRouter(include_in_schema=False)
Opt = Annotated[str, Form()]
MEMBER_ACTIONS = {"remove": None, "disable": True, "enable": False}


async def _groups(request: Request, rt: RuntimeDep, who: Viewer, status: int = 200,
                  error: Say | None = None) -> HTMLResponse:
    async with rt.sessions() as session:
        found = [(group, await groups.members(session, group))
                 for group in await groups.owned_all(session, who.user.id)]
    return await page(request, "groups.html", status, user=who.user, groups=found,
                      error=error)


async def _aliases(request: Request, rt: RuntimeDep, who: Viewer, status: int = 200,
                   error: Say | None = None,
                   form: Mapping[str, str | None] | None = None) -> HTMLResponse:
    return await page(request, "aliases.html", status, user=who.user,
                      aliases=await aliases.list_aliases(rt, who.user.id),
                      sounds=BUILTIN_SOUNDS, domain=rt.settings.mail_domain, error=error,
                      form=form or {})


async def _groups_done(request: Request, rt: RuntimeDep, who: Viewer,
                       work: Awaitable[object]) -> Response:
    """Run one group operation: back to the page with a notice, or the page with the error."""
    try:
        await work
    except ApiError as exc:
        return await _groups(request, rt, who, 400, wording.explain(exc))
    return redirect("/groups?notice=group_saved")


@router.get("/groups")
async def groups_page(request: Request, rt: RuntimeDep, who: ViewerDep) -> HTMLResponse:
    return await _groups(request, rt, who)


@router.post("/groups")
async def create_group(request: Request, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                       name: Opt = "") -> Response:
    return await _groups_done(request, rt, who, groups.create(rt, who.user.id, name))


@router.post("/groups/{key}/rename")
async def rename_group(request: Request, key: str, rt: RuntimeDep, who: ViewerDep,
                       _: CsrfDep, name: Opt = "") -> Response:
    return await _groups_done(request, rt, who, groups.rename(rt, who.user.id, key, name))


@router.post("/groups/{key}/members")
async def add_member(request: Request, key: str, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                     user: Opt = "", device: Opt = "", memo: Opt = "") -> Response:
    return await _groups_done(request, rt, who, groups.add_member(
        rt, who.user.id, key, user, device, memo))


@router.post("/groups/{key}/members/{action}")
async def change_member(request: Request, key: str, action: str, rt: RuntimeDep,
                        who: ViewerDep, _: CsrfDep, user: Opt = "",
                        device: Opt = "") -> Response:
    if action not in MEMBER_ACTIONS:
        return redirect("/groups")
    return await _groups_done(request, rt, who, groups.change_members(
        rt, who.user.id, key, user, device, disabled=MEMBER_ACTIONS[action]))


@router.get("/email")
async def aliases_page(request: Request, rt: RuntimeDep, who: ViewerDep) -> HTMLResponse:
    return await _aliases(request, rt, who)


async def _aliases_done(request: Request, rt: RuntimeDep, who: Viewer,
                        work: Awaitable[object], notice: str,
                        form: Mapping[str, str | None] | None = None) -> Response:
    try:
        await work
    except ApiError as exc:
        return await _aliases(request, rt, who, 400, wording.explain(exc), form)
    return redirect(f"/email?notice={notice}")


@router.post("/email")
async def create_alias(request: Request, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                       name: Opt = "", sound: Opt = "", priority: Opt = "", device: Opt = "",
                       ignore_timestamps: Opt = "") -> Response:
    params: dict[str, str | None] = {
        "name": name, "sound": sound, "priority": priority, "device": device,
        "ignore_timestamps": ignore_timestamps,
    }
    return await _aliases_done(request, rt, who, aliases.create_alias(rt, who.user.id, params),
                               "address_saved", params)


@router.post("/email/delete")
async def delete_alias(request: Request, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                       alias: Opt = "") -> Response:
    return await _aliases_done(request, rt, who, aliases.delete_alias(rt, who.user.id, alias),
                               "address_deleted")
