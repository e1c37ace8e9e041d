"""Teams: token look-up, membership, the team's delivery groups (its auto-updating group of
every member, and groups named by add_user), and the team-wide view of members."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import groups
from overpush.db import insert_ignore
from overpush.errors import ApiError, E
from overpush.ids import digest
from overpush.models import Device, Group, GroupMember, Team, TeamMember, User
from overpush.platforms import name_of

NAME_MAX = 100


async def team_for_token(session: AsyncSession, token: str | None) -> Team:
    token = (token or "").strip()
    team = await session.scalar(select(Team).where(Team.token_digest == digest(token))) \
        if token else None
    if team is None:
        raise ApiError.of(E.TEAM_TOKEN_INVALID)
    return team


def member_name(raw: str | None) -> str:
    name = (raw or "").strip()
    if len(name) > NAME_MAX:
        raise ApiError.of(E.TEAM_NAME_INVALID)
    return name


async def _join_group(session: AsyncSession, group_id: int, user_id: int,
                      now: datetime) -> None:
    await session.execute(insert_ignore(session, GroupMember, [{
        "group_id": group_id, "user_id": user_id, "device": "", "memo": "",
        "disabled": False, "created_at": now}], ["group_id", "user_id", "device"]))


async def auto_group(session: AsyncSession, team: Team, now: datetime) -> Group:
    """The team's auto-updating delivery group (every member), made when first needed: teams
    of the first round have none until then. Owned by the team's administrator, like every
    team group, so their applications can also manage it through the Groups API."""
    if team.group_id is not None:
        found = await session.get(Group, team.group_id)
        if found is not None:
            return found
    group = Group(group_key=await groups.new_group_key(session),
                  name=f"{team.name} (everyone)"[:NAME_MAX], owner_id=team.admin_id,
                  team_id=team.id, created_at=now)
    session.add(group)
    await session.flush()
    won = await session.scalar(update(Team).where(Team.id == team.id, Team.group_id.is_(None))
                               .values(group_id=group.id).returning(Team.id))
    if won is None:  # another request made it first: use theirs
        await session.delete(group)
        await session.refresh(team)
        return await auto_group(session, team, now)
    team.group_id = group.id
    for uid in (await session.scalars(select(TeamMember.user_id)
                                      .where(TeamMember.team_id == team.id))).all():
        await _join_group(session, group.id, uid, now)
    return group


async def team_group(session: AsyncSession, team: Team, raw_name: str, now: datetime) -> Group:
    """The team's group of that name, created if missing (add_user's `group`)."""
    name = groups.group_name(raw_name)
    found = await session.scalar(select(Group).where(
        Group.team_id == team.id, Group.name == name).order_by(Group.id).limit(1))
    if found is not None:
        return found
    group = Group(group_key=await groups.new_group_key(session), name=name,
                  owner_id=team.admin_id, team_id=team.id, created_at=now)
    session.add(group)
    await session.flush()
    return group


async def add_member(session: AsyncSession, team_id: int, user_id: int, administrator: bool,
                     now: datetime, name: str = "", group_id: int | None = None) -> None:
    """Adds the user (no-op if already in this team) to the team, its auto-updating group
    and `group_id` if given; refuses a member of another team. Only the operator and a
    person accepting an invitation call this: a team cannot enrol anyone by itself."""
    current = await session.scalar(select(TeamMember.team_id).where(
        TeamMember.user_id == user_id))
    if current is not None and current != team_id:
        raise ApiError.of(E.TEAM_MEMBER_ELSEWHERE)
    if current is None:
        try:
            async with session.begin_nested():
                session.add(TeamMember(team_id=team_id, user_id=user_id, name=name,
                                       administrator=administrator, created_at=now))
        except IntegrityError:  # a concurrent add won
            raise ApiError.of(E.TEAM_MEMBER_ELSEWHERE) from None
    team = await session.get(Team, team_id)
    assert team is not None
    await _join_group(session, (await auto_group(session, team, now)).id, user_id, now)
    if group_id is not None:
        await _join_group(session, group_id, user_id, now)


async def remove_member(session: AsyncSession, team_id: int, user_id: int) -> None:
    """Out of the team and out of every team group."""
    gone = await session.scalar(delete(TeamMember).where(
        TeamMember.team_id == team_id, TeamMember.user_id == user_id
    ).returning(TeamMember.user_id))
    if gone is None:
        raise ApiError.of(E.TEAM_MEMBER_MISSING)
    await session.execute(delete(GroupMember).where(
        GroupMember.user_id == user_id,
        GroupMember.group_id.in_(select(Group.id).where(Group.team_id == team_id))))


async def member_of(session: AsyncSession, team_id: int, user_id: int) -> TeamMember | None:
    return await session.scalar(select(TeamMember).where(
        TeamMember.team_id == team_id, TeamMember.user_id == user_id))


async def members_view(session: AsyncSession, team: Team) -> list[dict[str, Any]]:
    """Every member with their devices, as the Teams API lists them (spec §8.3). Members
    only: a person invited but not yet joined is not listed here (see invitations)."""
    members = (await session.execute(
        select(User.id, User.user_key, User.email, TeamMember.administrator, TeamMember.name)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == team.id).order_by(User.id)
    )).all()
    devices = (await session.execute(
        select(Device.user_id, Device.name, Device.os, Device.enabled)
        .where(Device.user_id.in_([m.id for m in members])).order_by(Device.id)
    )).all()
    return [{
        "id": m.user_key, "name": m.name, "email": m.email,
        "administrator": bool(m.administrator) or m.id == team.admin_id,
        "devices": [{"name": d.name, "os": name_of(d.os), "os_version": "",
                     "enabled": bool(d.enabled), "administratively_disabled": False}
                    for d in devices if d.user_id == m.id],
    } for m in members]
