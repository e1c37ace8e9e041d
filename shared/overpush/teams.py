"""Teams: token look-up, membership, and the team-wide view of members and devices."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.errors import ApiError, E
from overpush.ids import digest
from overpush.models import Team, TeamMember


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
