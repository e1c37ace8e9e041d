"""Delivery groups by owner: the operations the Groups API and the dashboard share."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import users
from overpush.devices import DEVICE_NAME
from overpush.errors import ApiError, E
from overpush.ids import is_key, random_key
from overpush.models import Group, GroupMember, User
from overpush.runtime import Runtime

MEMO_MAX = 200


@dataclass(frozen=True)
class Member:
    user: str  # user key
    device: str | None
    memo: str
    disabled: bool


async def new_group_key(session: AsyncSession) -> str:
    """Group keys and user keys share one namespace: a sender cannot tell them apart."""
    while True:
        key = random_key()
        taken = await session.scalar(select(
            exists().where(User.user_key == key) | exists().where(Group.group_key == key)
        ))
        if not taken:
            return key


def group_name(raw: str | None) -> str:
    name = (raw or "").strip()
    if not 1 <= len(name) <= 100:
        raise ApiError.of(E.GROUP_NAME_INVALID)
    return name


def memo_of(raw: str | None) -> str:
    memo = (raw or "").strip()
    if len(memo) > MEMO_MAX:
        raise ApiError.of(E.MEMO_TOO_LONG, f"memo is too long; the limit is {MEMO_MAX}")
    return memo


async def create(rt: Runtime, owner_id: int, name: str | None) -> str:
    """A new group; its key."""
    checked = group_name(name)
    async with rt.sessions() as session, session.begin():
        key = await new_group_key(session)
        session.add(Group(group_key=key, name=checked, owner_id=owner_id,
                          created_at=rt.clock.now()))
    return key


async def owned(session: AsyncSession, owner_id: int, key: str) -> Group:
    group = await session.scalar(select(Group).where(
        Group.group_key == key, Group.owner_id == owner_id
    ))
    if group is None:
        raise ApiError.of(E.GROUP_NOT_FOUND)
    return group


async def owned_all(session: AsyncSession, owner_id: int) -> Sequence[Group]:
    """The owner's groups, oldest first."""
    return (await session.scalars(
        select(Group).where(Group.owner_id == owner_id).order_by(Group.id)
    )).all()


async def groups_of(rt: Runtime, owner_id: int) -> list[tuple[str, str]]:
    """(key, name) of the owner's groups, oldest first."""
    async with rt.sessions() as session:
        return [(g.group_key, g.name) for g in await owned_all(session, owner_id)]


async def members(session: AsyncSession, group: Group) -> list[Member]:
    rows = (await session.execute(
        select(User.user_key, GroupMember)
        .join(User, User.id == GroupMember.user_id)
        .where(GroupMember.group_id == group.id).order_by(GroupMember.id)
    )).all()
    return [Member(k, m.device or None, m.memo, m.disabled) for k, m in rows]


async def rename(rt: Runtime, owner_id: int, key: str, name: str | None) -> None:
    async with rt.sessions() as session, session.begin():
        group = await owned(session, owner_id, key)
        group.name = group_name(name)


async def _member_args(session: AsyncSession, user: str | None,
                       device: str | None) -> tuple[int, str | None]:
    """The user (a real user key, not a group) and the optional device of a member call."""
    key = (user or "").strip()
    user_id = await users.id_for_key(session, key)
    if user_id is None:
        raise ApiError.of(E.USER_INVALID)
    name = (device or "").strip() or None
    if name is not None and not DEVICE_NAME.match(name):
        raise ApiError.of(E.DEVICE_INVALID)
    return user_id, name


async def add_member(rt: Runtime, owner_id: int, key: str, user: str | None,
                     device: str | None, memo: str | None) -> None:
    checked_memo = memo_of(memo)
    try:
        async with rt.sessions() as session, session.begin():
            group = await owned(session, owner_id, key)
            user_id, name = await _member_args(session, user, device)
            session.add(GroupMember(group_id=group.id, user_id=user_id, device=name or "",
                                    memo=checked_memo, disabled=False,
                                    created_at=rt.clock.now()))
            await session.flush()
    except IntegrityError:  # the same user (and device) is already in the group
        raise ApiError.of(E.MEMBER_EXISTS) from None


async def change_members(rt: Runtime, owner_id: int, key: str, user: str | None,
                         device: str | None, *, disabled: bool | None) -> None:
    """Remove (disabled=None), disable or enable the user's entries (only the one for
    `device` if given); a user with no such entry is an error."""
    async with rt.sessions() as session, session.begin():
        group = await owned(session, owner_id, key)
        user_id, name = await _member_args(session, user, device)
        where = [GroupMember.group_id == group.id, GroupMember.user_id == user_id]
        if name is not None:
            where.append(GroupMember.device == name)
        if disabled is None:
            changed = (await session.execute(
                delete(GroupMember).where(*where).returning(GroupMember.id))).all()
        else:
            changed = (await session.execute(
                update(GroupMember).where(*where).values(disabled=disabled)
                .returning(GroupMember.id))).all()
        if not changed:
            raise ApiError.of(E.MEMBER_MISSING)


async def id_for_key(session: AsyncSession, key: str) -> int | None:
    """The group with this key, whoever owns it (sending to a group needs only its key)."""
    if not is_key(key):
        return None
    group_id: int | None = await session.scalar(select(Group.id).where(Group.group_key == key))
    return group_id


async def active_members(session: AsyncSession, group_id: int) -> dict[int, str | None]:
    """Each enabled member's user id, with the one device it is limited to (None: all)."""
    rows = (await session.execute(
        select(GroupMember.user_id, GroupMember.device)
        .where(GroupMember.group_id == group_id, GroupMember.disabled.is_(False)))).all()
    return {uid: dev for uid, dev in rows}
