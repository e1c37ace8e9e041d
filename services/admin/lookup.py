"""What operator commands look up by what the operator typed: users, applications, teams."""

from __future__ import annotations

from overpush import users
from overpush.apps import find_app
from overpush.errors import ApiError, E
from overpush.models import App, Team, User
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


class AdminError(ApiError):
    """An operator command that cannot be done; the command line prints it."""


def refuse(text: str) -> AdminError:
    """The error for a command that cannot be done, in the operator's words."""
    return AdminError.of(E.COMMAND_REFUSED, text)


async def app_by_token(session: AsyncSession, token: str) -> App:
    app = await find_app(session, token)
    if app is None:
        raise refuse(f"no application with token {token}")
    return app


async def user_by_email(session: AsyncSession, email: str) -> User:
    """The account with this address, in any case."""
    user = await users.by_email(session, email)
    if user is None:
        raise refuse(f"no user with e-mail {email}")
    return user


async def team_by_name(session: AsyncSession, team: str) -> Team:
    """A team by its id or its name."""
    query = select(Team).where(Team.id == int(team)) if team.strip().isdigit() \
        else select(Team).where(Team.name == team.strip()).order_by(Team.id).limit(1)
    found = await session.scalar(query)
    if found is None:
        raise refuse(f"no team {team!r}")
    return found
