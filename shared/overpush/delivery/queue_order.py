"""Each device's queue ids commit in id order, so "delete up to my highest id" is safe.

The Open Client API deletes by high-water mark: a device downloads its queue, then
update_highest_message deletes every row with an id up to the highest it saw. Ids come from
one sequence, so when two dispatchers insert for the same device at once, the row with the
lower id can commit after the higher one: a device that downloads in between sees only the
higher id, and its delete then removes the lower row it never saw, and the message is lost
(the scale-out test lost a handful of thousands this way). Holding the device rows while
inserting makes every later insert for that device draw its id after the earlier commit.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.db import table_of
from overpush.models import Device, Message
from overpush.runtime import Runtime


async def lock_devices_of(session: AsyncSession, rt: Runtime, user_ids: Collection[int]) -> None:
    """Lock the users' device rows (FOR NO KEY UPDATE, in id order: no deadlock between
    dispatchers) until the caller's transaction ends. Call it before locking any message
    row: the api locks a device (last_seen_at) before messages, and so must we.
    SQLite runs one writer at a time, so its ids already commit in order."""
    if rt.settings.is_sqlite or not user_ids:
        return
    await session.execute(
        select(Device.id).where(Device.user_id.in_(set(user_ids))).order_by(Device.id)
        .with_for_update(key_share=True)
    )


_M = table_of(Message)
_USERS_OF = select(_M.c.user_id).where(_M.c.id.in_(bindparam("ids", expanding=True)))


async def lock_devices_for(session: AsyncSession, rt: Runtime,
                           message_ids: Collection[int]) -> None:
    """`lock_devices_of` the recipients of these messages (no query at all on SQLite)."""
    if rt.settings.is_sqlite or not message_ids:
        return
    users = set((await session.scalars(_USERS_OF, {"ids": list(message_ids)})).all())
    await lock_devices_of(session, rt, users)
