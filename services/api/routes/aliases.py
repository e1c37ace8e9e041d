"""E-mail gateway addresses over the API: list, create and delete, by Open Client secret."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush import aliases

from services.api.auth import user_for_secret
from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.responses import ok

router = APIRouter()


async def _user_id(rt: RuntimeDep, params: ParamsDep) -> int:
    async with rt.sessions() as session:
        user = await user_for_secret(session, params.get("secret"))
    return user.id


@router.get("/1/aliases.json")
async def list_aliases(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    uid = await _user_id(rt, params)
    return ok(rid, aliases=await aliases.list_aliases(rt, uid))


@router.post("/1/aliases.json")
async def create_alias(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    uid = await _user_id(rt, params)
    return ok(rid, alias=await aliases.create_alias(rt, uid, params))


@router.post("/1/aliases/{alias}/delete.json")
async def delete_alias(alias: str, params: ParamsDep, rt: RuntimeDep,
                       rid: RequestIdDep) -> JSONResponse:
    uid = await _user_id(rt, params)
    await aliases.delete_alias(rt, uid, alias)
    return ok(rid)
