"""Ending what proves who someone is: browser sessions and device secrets.

A password reset or change and a change of the second factor end every other browser
session and every device secret (Open Client log-in) of the account, and delete the devices
those secrets registered: a device whose secret no longer works cannot fetch its messages,
and one registered by someone who knew the old password (or squatted the address before
its owner confirmed it) must stop receiving the owner's messages, phone pushes included.
Every device is registered by some secret (the Open Client API is the only way in), so once
all secrets end, every device goes, also those registered before secrets were tied to their
devices (migration 0110) or whose secret was logged out. The devices' WebSockets are told
`E` (log in again) and closed, wherever they are held.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import devices, outbox
from overpush.events import DevicesNudged
from overpush.models import ClientSession, Device, WebSession
from overpush.runtime import Runtime


async def web_sessions(session: AsyncSession, user_id: int, keep: str | None = None) -> None:
    """End the user's browser sessions, but the one whose digest is `keep`."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.digest != keep)
    await session.execute(query)


async def device_secrets(session: AsyncSession, user_id: int) -> list[str]:
    """End every device secret of the user and delete the devices they registered (all of
    the user's devices, see above); their public ids, to tell them `E` once committed
    (`tell_devices`, in the same transaction)."""
    gone = list((await session.scalars(select(Device).where(Device.user_id == user_id))).all())
    for device in gone:
        await devices.delete_device(session, device)
    await session.execute(delete(ClientSession).where(ClientSession.user_id == user_id))
    return [d.public_id for d in gone]


async def everything(session: AsyncSession, user_id: int,
                     keep_web: str | None = None) -> list[str]:
    """Both of the above: what a reset, a password change and a 2FA change do."""
    await web_sessions(session, user_id, keep_web)
    return await device_secrets(session, user_id)


def tell_devices(session: AsyncSession, rt: Runtime, public_ids: list[str]) -> None:
    """Stage, in the caller's transaction, that the devices' WebSockets get `E` and close,
    wherever they are held. Through the outbox, so the telling is committed with the
    revocation: a bus that hiccups at that moment delays it instead of losing it, and a
    process with no bus of its own (an `overpush admin` command) has the server's relay
    publish it."""
    if public_ids:
        outbox.add(session, rt, DevicesNudged(device_ids=public_ids, frame="E", close=True))
