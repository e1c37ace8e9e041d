"""The Groups API (spec §6): delivery groups owned by the account behind the app token."""

from __future__ import annotations

import re

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from overpush.errors import ApiError, E
from overpush.ids import is_key, random_key
from overpush.models import Group, GroupMember, User
from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.app_auth import app_for_token
from services.api.deps import ParamsDep, RequestIdDep, RuntimeDep
from services.api.params import Params
from services.api.responses import ok

router = APIRouter()
DEVICE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,25}$")
MEMO_MAX = 200


async def new_group_key(session: AsyncSession) -> str:
    """Group keys and user keys share one namespace: a sender cannot tell them apart."""
    while True:
        key = random_key()
        taken = await session.scalar(select(
            exists().where(User.user_key == key) | exists().where(Group.group_key == key)
        ))
        if not taken:
            return key


def _name(params: Params) -> str:
    name = (params.get("name") or "").strip()
    if not 1 <= len(name) <= 100:
        raise ApiError.of(E.GROUP_NAME_INVALID)
    return name


@router.post("/1/groups.json")
async def create(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        app = await app_for_token(session, params.get("token"))
        name = _name(params)
        group = Group(group_key=await new_group_key(session), name=name,
                      owner_id=app.owner_id, created_at=rt.clock.now())
        session.add(group)
    return ok(rid, group=group.group_key)


@router.get("/1/groups.json")
async def list_groups(params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        app = await app_for_token(session, params.get("token"))
        rows = (await session.execute(
            select(Group.group_key, Group.name).where(Group.owner_id == app.owner_id)
            .order_by(Group.id)
        )).all()
    return ok(rid, groups=[{"group": key, "name": name} for key, name in rows])


async def _owned_group(session: AsyncSession, params: Params, key: str) -> Group:
    app = await app_for_token(session, params.get("token"))
    group = await session.scalar(select(Group).where(
        Group.group_key == key, Group.owner_id == app.owner_id
    ))
    if group is None:
        raise ApiError.of(E.GROUP_NOT_FOUND)
    return group


@router.get("/1/groups/{key}.json")
async def info(key: str, params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session:
        group = await _owned_group(session, params, key)
        members = (await session.execute(
            select(User.user_key, GroupMember)
            .join(User, User.id == GroupMember.user_id)
            .where(GroupMember.group_id == group.id).order_by(GroupMember.id)
        )).all()
    users = [{"user": k, "device": m.device or None, "memo": m.memo,
              "disabled": m.disabled} for k, m in members]
    return ok(rid, name=group.name, users=users)


async def _member_args(session: AsyncSession, params: Params) -> tuple[int, str | None]:
    """The user (a real user key, not a group) and the optional device of a member call."""
    key = (params.get("user") or "").strip()
    user_id = await session.scalar(select(User.id).where(User.user_key == key)) \
        if is_key(key) else None
    if user_id is None:
        raise ApiError.of(E.USER_INVALID)
    device = (params.get("device") or "").strip() or None
    if device is not None and not DEVICE_NAME.match(device):
        raise ApiError.of(E.DEVICE_INVALID)
    return user_id, device


@router.post("/1/groups/{key}/add_user.json")
async def add_user(key: str, params: ParamsDep, rt: RuntimeDep,
                   rid: RequestIdDep) -> JSONResponse:
    memo = (params.get("memo") or "").strip()
    if len(memo) > MEMO_MAX:
        raise ApiError.of(E.MEMO_TOO_LONG, f"memo is too long; the limit is {MEMO_MAX}")
    try:
        async with rt.sessions() as session, session.begin():
            group = await _owned_group(session, params, key)
            user_id, device = await _member_args(session, params)
            session.add(GroupMember(group_id=group.id, user_id=user_id, device=device or "",
                                    memo=memo, disabled=False, created_at=rt.clock.now()))
            await session.flush()
    except IntegrityError:  # the same user (and device) is already in the group
        raise ApiError.of(E.MEMBER_EXISTS) from None
    return ok(rid)


async def _change_members(key: str, params: Params, rt: RuntimeDep, *,
                          disabled: bool | None) -> None:
    """Remove (disabled=None), disable or enable the user's entries (only the one for
    `device` if given); a user with no such entry is an error."""
    async with rt.sessions() as session, session.begin():
        group = await _owned_group(session, params, key)
        user_id, device = await _member_args(session, params)
        where = [GroupMember.group_id == group.id, GroupMember.user_id == user_id]
        if device is not None:
            where.append(GroupMember.device == device)
        if disabled is None:
            changed = (await session.execute(
                delete(GroupMember).where(*where).returning(GroupMember.id))).all()
        else:
            changed = (await session.execute(
                update(GroupMember).where(*where).values(disabled=disabled)
                .returning(GroupMember.id))).all()
        if not changed:
            raise ApiError.of(E.MEMBER_MISSING)


@router.post("/1/groups/{key}/remove_user.json")
@router.post("/1/groups/{key}/delete_user.json")  # the older name; clients use both
async def remove_user(key: str, params: ParamsDep, rt: RuntimeDep,
                      rid: RequestIdDep) -> JSONResponse:
    await _change_members(key, params, rt, disabled=None)
    return ok(rid)


@router.post("/1/groups/{key}/disable_user.json")
async def disable_user(key: str, params: ParamsDep, rt: RuntimeDep,
                       rid: RequestIdDep) -> JSONResponse:
    await _change_members(key, params, rt, disabled=True)
    return ok(rid)


@router.post("/1/groups/{key}/enable_user.json")
async def enable_user(key: str, params: ParamsDep, rt: RuntimeDep,
                      rid: RequestIdDep) -> JSONResponse:
    await _change_members(key, params, rt, disabled=False)
    return ok(rid)


@router.post("/1/groups/{key}/rename.json")
async def rename(key: str, params: ParamsDep, rt: RuntimeDep, rid: RequestIdDep) -> JSONResponse:
    async with rt.sessions() as session, session.begin():
        group = await _owned_group(session, params, key)
        group.name = _name(params)
    return ok(rid)
