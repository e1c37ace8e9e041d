"""Teams: token look-up, membership, and the team-wide view of members and devices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.errors import ApiError, E
from overpush.ids import digest
from overpush.models import Device, Team, TeamMember, User
from overpush.platforms import name_of


async def team_for_token(session: AsyncSession, token: str | None) -> Team:
    token = (token or "").strip()
    team = await session.scalar(select(Team).where(Team.token_digest == digest(token))) \
        if token else None
    if team is None:
        raise ApiError.of(E.TEAM_TOKEN_INVALID)
    return team


async def add_member(session: AsyncSession, team_id: int, user_id: int, administrator: bool,
                     now: datetime) -> None:
    """Adds the user (no-op if already in this team); refuses a member of another team."""
    current = await session.scalar(select(TeamMember.team_id).where(
        TeamMember.user_id == user_id))
    if current == team_id:
        return
    if current is not None:
        raise ApiError.of(E.TEAM_MEMBER_ELSEWHERE)
    try:
        async with session.begin_nested():
            session.add(TeamMember(team_id=team_id, user_id=user_id,
                                   administrator=administrator, created_at=now))
    except IntegrityError:  # a concurrent add won
        raise ApiError.of(E.TEAM_MEMBER_ELSEWHERE) from None


async def remove_member(session: AsyncSession, team_id: int, user_id: int) -> None:
    gone = await session.scalar(delete(TeamMember).where(
        TeamMember.team_id == team_id, TeamMember.user_id == user_id
    ).returning(TeamMember.user_id))
    if gone is None:
        raise ApiError.of(E.TEAM_MEMBER_MISSING)


async def members_view(session: AsyncSession, team: Team) -> list[dict[str, Any]]:
    """Every member with their devices, as the Teams API lists them (spec §8.3)."""
    members = (await session.execute(
        select(User.id, User.user_key, User.email, TeamMember.administrator)
        .join(TeamMember, TeamMember.user_id == User.id)
        .where(TeamMember.team_id == team.id).order_by(User.id)
    )).all()
    devices = (await session.execute(
        select(Device.user_id, Device.name, Device.os, Device.enabled)
        .where(Device.user_id.in_([m.id for m in members])).order_by(Device.id)
    )).all()
    return [{
        "id": m.user_key, "name": "", "email": m.email,
        "administrator": bool(m.administrator) or m.id == team.admin_id,
        "devices": [{"name": d.name, "os": name_of(d.os), "os_version": "",
                     "enabled": bool(d.enabled), "administratively_disabled": False}
                    for d in devices if d.user_id == m.id],
    } for m in members]
