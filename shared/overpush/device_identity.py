"""Hardware device identifiers, kept only as HMAC-SHA256(per-account salt, identifier).

A phone may send `device_identifier` when it registers. We never store it: only a keyed
hash with a random value of the account's own, so the same phone gives unrelated values on
two accounts and a database dump reveals no identifier. The hash lets a re-installed app be
recognised as the device it was (same row, same public id, same queue).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.models import Device, User

MAX_IDENTIFIER = 200


def identifier_hash(salt: str, identifier: str) -> str:
    return hmac.new(bytes.fromhex(salt), identifier.encode(), hashlib.sha256).hexdigest()


def account_salt(user: User) -> str:
    """The account's salt, made (32 random bytes) on first use; the caller commits it."""
    if user.device_salt is None:
        user.device_salt = secrets.token_hex(32)
    return user.device_salt


async def recognise(session: AsyncSession, user: User, identifier: str,
                    name: str) -> tuple[Device | None, str]:
    """(the device this identifier was registered as, if any; the identifier's hash). A
    recognised device takes the requested name unless another device already has it."""
    hashed = identifier_hash(account_salt(user), identifier)
    device = await session.scalar(select(Device).where(
        Device.user_id == user.id, Device.identifier_hash == hashed))
    if device is not None and device.name != name:
        taken = await session.scalar(select(Device.id).where(
            Device.user_id == user.id, Device.name == name))
        if taken is None:
            device.name = name
    return device, hashed
