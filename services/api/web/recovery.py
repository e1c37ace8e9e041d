"""Two-factor recovery codes: ten one-time codes, shown once, kept only as SHA-256 digests.

A code has 10 characters from an alphabet without look-alikes (about 49 bits), so a plain
digest is enough (as for API tokens); guessing online meets the log-in rate limit first.
"""

from __future__ import annotations

from datetime import datetime

from overpush.ids import digest, random_key
from overpush.models import RecoveryCode
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
COUNT = 10
LENGTH = 10


def new_codes() -> list[str]:
    """Ten fresh codes, written as two groups of five for reading aloud or copying."""
    codes = [random_key(LENGTH, ALPHABET) for _ in range(COUNT)]
    return [f"{c[:5]}-{c[5:]}" for c in codes]


def normalise(code: str) -> str:
    """What a person typed, without spaces, dashes or capitals."""
    return "".join(ch for ch in code.lower() if ch not in " -\t")


def is_recovery_code(code: str) -> bool:
    plain = normalise(code)
    return len(plain) == LENGTH and all(ch in ALPHABET for ch in plain)


async def replace(session: AsyncSession, user_id: int, now: datetime) -> list[str]:
    """New codes for the user (the old ones stop working); the plain codes, to show once."""
    codes = new_codes()
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    session.add_all(RecoveryCode(user_id=user_id, digest=digest(normalise(c)), created_at=now)
                    for c in codes)
    return codes


async def use(session: AsyncSession, user_id: int, code: str, now: datetime) -> bool:
    """Spend one code: one conditional UPDATE, so a code works exactly once."""
    if not is_recovery_code(code):
        return False
    spent = await session.scalar(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.digest == digest(normalise(code)),
               RecoveryCode.used_at.is_(None))
        .values(used_at=now).returning(RecoveryCode.user_id))
    return spent is not None


async def left(session: AsyncSession, user_id: int) -> int:
    return int(await session.scalar(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))) or 0)


async def clear(session: AsyncSession, user_id: int) -> None:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
