"""The Groups API (spec §6): delivery groups owned by the account behind the app token.

The operations live in overpush.groups, shared with the dashboard."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import groups
from overpush.apps import app_for_token

from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.params import Params
from services.api.responses import ok

router = APIRouter()


async def _owner(rt: RuntimeDep, params: Params) -> int:
    """The account behind the app token: groups belong to it, not to one application."""
    async with rt.sessions() as session:
        return (await app_for_token(session, params.get("token"))).owner_id


@router.post("/1/groups.json")
async def create(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    key = await groups.create(rt, await _owner(rt, params), params.get("name"))
    return ok(rid, group=key)


@router.get("/1/groups.json")
async def list_groups(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    rows = await groups.groups_of(rt, await _owner(rt, params))
    return ok(rid, groups=[{"group": key, "name": name} for key, name in rows])


@router.get("/1/groups/{key}.json")
async def info(key: str, params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    owner = await _owner(rt, params)
    async with rt.sessions() as session:
        group = await groups.owned(session, owner, key)
        members = await groups.members(session, group)
    users = [{"user": m.user, "device": m.device, "memo": m.memo, "disabled": m.disabled}
             for m in members]
    return ok(rid, name=group.name, users=users)


@router.post("/1/groups/{key}/add_user.json")
async def add_user(key: str, params: ParamsDep, rt: RuntimeDep,
                   rid: RequestIdDep) -> JSONResponse:
    groups.memo_of(params.get("memo"))  # a too-long memo is refused before anything else
    await groups.add_member(rt, await _owner(rt, params), key, params.get("user"),
                               params.get("device"), params.get("memo"))
    return ok(rid)


async def _change(key: str, params: Params, rt: RuntimeDep, disabled: bool | None) -> None:
    await groups.change_members(rt, await _owner(rt, params), key, params.get("user"),
                                   params.get("device"), disabled=disabled)


@router.post("/1/groups/{key}/remove_user.json")
@router.post("/1/groups/{key}/delete_user.json")  # the older name; clients use both
async def remove_user(key: str, params: ParamsDep, rt: RuntimeDep,
                      rid: RequestIdDep) -> JSONResponse:
    await _change(key, params, rt, None)
    return ok(rid)


@router.post("/1/groups/{key}/disable_user.json")
async def disable_user(key: str, params: ParamsDep, rt: RuntimeDep,
                       rid: RequestIdDep) -> JSONResponse:
    await _change(key, params, rt, True)
    return ok(rid)


@router.post("/1/groups/{key}/enable_user.json")
async def enable_user(key: str, params: ParamsDep, rt: RuntimeDep,
                      rid: RequestIdDep) -> JSONResponse:
    await _change(key, params, rt, False)
    return ok(rid)


@router.post("/1/groups/{key}/rename.json")
async def rename(key: str, params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    await groups.rename(rt, await _owner(rt, params), key, params.get("name"))
    return ok(rid)
