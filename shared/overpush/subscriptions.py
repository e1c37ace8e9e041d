"""Subscriptions: per-application user keys, made, refreshed, revoked and resolved."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.ids import random_key
from overpush.models import Subscription


@dataclass(frozen=True)
class Subscribed:
    user_id: int
    sound: str | None
    device: str | None


async def subscribe(session: AsyncSession, app_id: int, user_id: int, now: datetime,
                    sound: str | None = None, device: str | None = None) -> str:
    """The user's key for this application: the existing one (its sound and device updated),
    or a new one. Keys are random 30-character strings in the user-key namespace."""
    row = await session.scalar(select(Subscription).where(
        Subscription.app_id == app_id, Subscription.user_id == user_id))
    if row is None:
        row = Subscription(subscription_key=random_key(), app_id=app_id, user_id=user_id,
                           created_at=now)
        session.add(row)
    row.sound, row.device = sound or None, device or None
    await session.flush()
    return row.subscription_key


async def unsubscribe(session: AsyncSession, app_id: int, user_id: int) -> bool:
    gone = await session.scalar(delete(Subscription).where(
        Subscription.app_id == app_id, Subscription.user_id == user_id
    ).returning(Subscription.id))
    return gone is not None


async def resolve(session: AsyncSession, keys: Sequence[str],
                  app_id: int) -> dict[str, Subscribed]:
    """The keys among `keys` that are subscriptions to this application. A subscription
    key of another application is not found: to its sender it is just an invalid key."""
    if not keys:
        return {}
    rows = (await session.execute(
        select(Subscription.subscription_key, Subscription.user_id, Subscription.sound,
               Subscription.device)
        .where(Subscription.subscription_key.in_(list(keys)), Subscription.app_id == app_id)
    )).all()
    return {k: Subscribed(uid, sound, device) for k, uid, sound, device in rows}
