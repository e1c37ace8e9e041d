"""Applications by token: the one look-up every sender-facing call and command uses."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.errors import ApiError, E
from overpush.ids import is_key
from overpush.models import App


async def find_app(session: AsyncSession, token: str | None) -> App | None:
    """The application with this token, or None. Anything but a key cannot be a token, and
    never reaches the database (PostgreSQL refuses NUL in text)."""
    token = (token or "").strip()
    return await session.scalar(select(App).where(App.token == token)) if is_key(token) else None


async def app_for_token(session: AsyncSession, token: str | None) -> App:
    """The sender's application; an unknown token is Pushover's `token: invalid`."""
    app = await find_app(session, token)
    if app is None:
        raise ApiError.of(E.TOKEN_INVALID)
    return app
