"""Who a message goes to: user keys and group keys resolved to one entry per user reached."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import subscriptions
from overpush.db import table_of
from overpush.errors import ApiError, E
from overpush.models import Device, Group, GroupMember, User

# Built once: every send asks these.
_U, _D = table_of(User), table_of(Device)
# With whether each has an enabled device: a send names users directly far more often than
# groups, and this spares it a second query.
_USERS = select(_U.c.user_key, _U.c.id, exists().where(_D.c.user_id == _U.c.id, _D.c.enabled)) \
    .where(_U.c.user_key.in_(bindparam("keys", expanding=True)))
_ACTIVE = select(_D.c.user_id).where(
    _D.c.user_id.in_(bindparam("users", expanding=True)), _D.c.enabled).distinct()


@dataclass(frozen=True)
class Recipient:
    user_id: int
    devices: str | None  # comma-separated device names; None = all of the user's devices
    sound: str | None = None  # a subscription's own sound, overriding the message's


def merge(entries: Iterable[tuple[int, str | None]]) -> list[Recipient]:
    """One recipient per user however often they appear (directly, in several groups, or in
    one group with several devices): a user is reached, and counted, once. Asking for all
    devices anywhere wins over named devices."""
    names: dict[int, set[str] | None] = {}
    for uid, devices in entries:
        wanted = {d for d in (devices or "").split(",") if d}
        if uid not in names:
            names[uid] = wanted or None
        elif names[uid] is not None:
            current = names[uid]
            names[uid] = None if not wanted else (current or set()) | wanted
    return [Recipient(uid, ",".join(sorted(n)) if n else None) for uid, n in names.items()]


async def resolve(
    session: AsyncSession, keys: Sequence[str], devices: Sequence[str],
    app_id: int | None = None,
) -> list[Recipient]:
    """Users get the devices the sender named, but only when the request names one key: with
    several user keys `device` is ignored, as Pushover documents. Group members get the
    device stored in their group entry (spec §1.1). Disabled members and members without an
    active device are skipped; a user named directly without an active device is an error.
    Subscription keys count only for the application `app_id` they belong to."""
    found = (await session.execute(_USERS, {"keys": list(keys)})).all()
    users = {key: uid for key, uid, _ in found}
    active = {uid for _, uid, enabled in found if enabled}
    known = set(users.values())
    subscribed = await subscriptions.resolve(
        session, [k for k in keys if k not in users], app_id) if app_id is not None else {}
    for key, sub in subscribed.items():
        users[key] = sub.user_id
    rest = [k for k in keys if k not in users]
    groups: dict[str, int] = {}
    if rest:
        groups = dict((await session.execute(
            select(Group.group_key, Group.id).where(Group.group_key.in_(rest))
        )).all())
    if len(users) + len(groups) != len(keys):
        raise ApiError.of(E.USER_INVALID)
    if devices and len(keys) == 1 and groups:
        team_group = await session.scalar(select(Group.id).where(
            Group.id.in_(groups.values()), Group.team_id.is_not(None)))
        if team_group is not None:
            return await team_group_recipients(session, team_group, devices)
    named = (",".join(devices) or None) if len(keys) == 1 else None
    direct = [(uid, named) for key, uid in users.items() if key not in subscribed]
    direct += [(sub.user_id, named or sub.device) for sub in subscribed.values()]
    members: list[tuple[int, str | None]] = []
    if groups:
        members = [(uid, dev or None) for uid, dev in (await session.execute(
            select(GroupMember.user_id, GroupMember.device)
            .where(GroupMember.group_id.in_(groups.values()), GroupMember.disabled.is_(False))
            .order_by(GroupMember.id)
        )).all()]
    others = ({uid for uid, _ in direct} | {uid for uid, _ in members}) - known
    if others:  # subscribers and group members
        active |= set((await session.scalars(_ACTIVE, {"users": sorted(others)})).all())
    if any(uid not in active for uid, _ in direct):
        raise ApiError.of(E.USER_NO_DEVICES)
    chosen = merge([*direct, *[(u, d) for u, d in members if u in active]])
    if not chosen:
        raise ApiError.of(E.USER_NO_DEVICES)
    sounds = {sub.user_id: sub.sound for sub in subscribed.values() if sub.sound}
    return [replace(r, sound=sounds[r.user_id]) if r.user_id in sounds else r for r in chosen]


async def team_group_recipients(session: AsyncSession, group_id: int,
                                devices: Sequence[str]) -> list[Recipient]:
    """Sending to a single team-owned group honours `device` (spec §1.1): each enabled member
    gets the named devices they have (enabled, and allowed by their group entry); members with
    none get nothing; no match at all is a failure, not a send to every device."""
    rows = (await session.execute(
        select(GroupMember.user_id, _D.c.name)
        .join(_D, _D.c.user_id == GroupMember.user_id)
        .where(GroupMember.group_id == group_id, GroupMember.disabled.is_(False), _D.c.enabled,
               _D.c.name.in_(list(devices)),
               (GroupMember.device == "") | (GroupMember.device == _D.c.name))
        .order_by(GroupMember.id)
    )).all()
    chosen = merge([(uid, name) for uid, name in rows])
    if not chosen:
        raise ApiError.of(E.TEAM_GROUP_NO_DEVICE)
    return chosen
