"""Sender authentication: an application token names an App (and through it, its owner)."""

from __future__ import annotations

from overpush.errors import ApiError, E
from overpush.ids import is_key
from overpush.models import App
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession


async def app_for_token(session: AsyncSession, token: str | None) -> App:
    token = (token or "").strip()
    app = await session.scalar(select(App).where(App.token == token)) if is_key(token) else None
    if app is None:
        raise ApiError.of(E.TOKEN_INVALID)
    return app
