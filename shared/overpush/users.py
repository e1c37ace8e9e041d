"""Finding an account: by its user key, or by its address (`email_key`). The one place these
look-ups are written; sign-up and log-in (overpush.accounts,
credentials) key addresses the same way."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.ids import is_key
from overpush.models import User


def email_key(email: str) -> str:
    """The address as an identity: what sign-up keeps unique and every log-in looks up."""
    return email.strip().lower()


async def id_for_key(session: AsyncSession, key: str) -> int | None:
    """The account with this user key; None for anything else (a group key, a typo)."""
    if not is_key(key):
        return None
    user_id: int | None = await session.scalar(select(User.id).where(User.user_key == key))
    return user_id


async def confirmed_id_for_email(session: AsyncSession, email: str) -> int | None:
    """The account that confirmed this address; None while nobody has."""
    user_id: int | None = await session.scalar(select(User.id).where(
        User.email_key == email_key(email), User.email_confirmed_at.is_not(None)))
    return user_id


async def by_email(session: AsyncSession, email: str) -> User | None:
    """The account with this address, in any case, confirmed or not."""
    user: User | None = await session.scalar(select(User).where(
        User.email_key == email_key(email)))
    return user


async def id_for_email(session: AsyncSession, email: str) -> int | None:
    user_id: int | None = await session.scalar(select(User.id).where(
        User.email_key == email_key(email)))
    return user_id
