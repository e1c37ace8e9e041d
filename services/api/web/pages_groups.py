"""Dashboard pages for delivery groups (and their members) and e-mail gateway addresses.

Both reuse the domain operations of the API (overpush.groups, overpush.aliases):
the same checks, the same error texts, shown on the page.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Annotated
from urllib.parse import quote_plus

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from overpush import aliases, groups
from overpush.errors import ApiError
from overpush.sounds import BUILTIN_SOUNDS

from services.api.deps import RuntimeDep
from services.api.web.render import page, redirect
from services.api.web.sessions import CsrfDep, ViewerDep

router = APIRouter(include_in_schema=False)
Opt = Annotated[str, Form()]
MEMBER_ACTIONS = {"remove": None, "disable": True, "enable": False}


async def _done(back: str, work: Awaitable[object]) -> Response:
    """Run one operation; back to the page with "saved" or with the operation's error text."""
    try:
        await work
    except ApiError as exc:
        return redirect(f"{back}?error=" + quote_plus(" ".join(e.message for e in exc.errors)))
    return redirect(f"{back}?saved=1")


@router.get("/groups")
async def groups_page(request: Request, rt: RuntimeDep, who: ViewerDep, saved: str = "",
                      error: str = "") -> HTMLResponse:
    async with rt.sessions() as session:
        found = [(group, await groups.members(session, group))
                 for group in await groups.owned_all(session, who.user.id)]
    return page(request, "groups.html", user=who.user, groups=found, saved=saved,
                error=error)


@router.post("/groups")
async def create_group(rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                       name: Opt = "") -> Response:
    return await _done("/groups", groups.create(rt, who.user.id, name))


@router.post("/groups/{key}/rename")
async def rename_group(key: str, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                       name: Opt = "") -> Response:
    return await _done("/groups", groups.rename(rt, who.user.id, key, name))


@router.post("/groups/{key}/members")
async def add_member(key: str, rt: RuntimeDep, who: ViewerDep, _: CsrfDep, user: Opt = "",
                     device: Opt = "", memo: Opt = "") -> Response:
    return await _done("/groups", groups.add_member(rt, who.user.id, key, user, device,
                                                       memo))


@router.post("/groups/{key}/members/{action}")
async def change_member(key: str, action: str, rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                        user: Opt = "", device: Opt = "") -> Response:
    if action not in MEMBER_ACTIONS:
        return redirect("/groups?error=Unknown+action")
    return await _done("/groups", groups.change_members(
        rt, who.user.id, key, user, device, disabled=MEMBER_ACTIONS[action]))


@router.get("/email")
async def aliases_page(request: Request, rt: RuntimeDep, who: ViewerDep, saved: str = "",
                       error: str = "") -> HTMLResponse:
    return page(request, "aliases.html", user=who.user,
                aliases=await aliases.list_aliases(rt, who.user.id), sounds=BUILTIN_SOUNDS,
                domain=rt.settings.mail_domain, saved=saved, error=error)


@router.post("/email")
async def create_alias(rt: RuntimeDep, who: ViewerDep, _: CsrfDep, name: Opt = "",
                       sound: Opt = "", priority: Opt = "", device: Opt = "",
                       ignore_timestamps: Opt = "") -> Response:
    params: dict[str, str | None] = {
        "name": name, "sound": sound, "priority": priority, "device": device,
        "ignore_timestamps": ignore_timestamps,
    }
    return await _done("/email", aliases.create_alias(rt, who.user.id, params))


@router.post("/email/delete")
async def delete_alias(rt: RuntimeDep, who: ViewerDep, _: CsrfDep,
                       alias: Opt = "") -> Response:
    return await _done("/email", aliases.delete_alias(rt, who.user.id, alias))
