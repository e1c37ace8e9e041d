"""The /push log-in frame, checked in batches.

When an api process restarts, or a network blip drops every socket, thousands of devices log
in again within seconds. One transaction per log-in (an ORM query for the user, one for the
device, a flush and a commit of last_seen_at) cost ~1 ms of the api's CPU each and a SQLite
commit, and capped log-ins near 100/s under load (bench/README.md, "Idle WebSockets"). Here
log-ins that arrive together share one transaction of two plain statements: one SELECT of the
devices that the secrets own, one UPDATE of last_seen_at for those not seen recently.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta

from overpush.batching import Batcher
from overpush.db import table_of
from overpush.ids import digest
from overpush.models import ClientSession, Device, User
from overpush.runtime import Runtime
from sqlalchemy import bindparam, select, update

from services.api.auth import plausible_device_id

BATCH = 256
# last_seen_at is shown on the dashboard to the minute; a device that reconnects within this
# long of its last log-in is not written again (as web sessions are touched).
TOUCH_EVERY = timedelta(minutes=1)

_D, _S, _U = table_of(Device), table_of(ClientSession), table_of(User)
_OWNED = (
    select(_D.c.public_id, _D.c.user_id, _S.c.secret_digest, _D.c.last_seen_at)
    .join(_U, _U.c.id == _D.c.user_id)
    .join(_S, _S.c.user_id == _D.c.user_id)
    .where(_D.c.public_id.in_(bindparam("ids", expanding=True)),
           _S.c.secret_digest.in_(bindparam("digests", expanding=True)),
           _D.c.enabled.is_(True), _U.c.email_confirmed_at.is_not(None))
)
_TOUCH = (update(_D).where(_D.c.public_id.in_(bindparam("ids", expanding=True)))
          .values(last_seen_at=bindparam("now")))

Login = tuple[str, str]  # (device id, secret digest)
Who = tuple[str, int] | None  # (device id, user id) when the frame logs a device in


def parse(frame: str) -> Login | None:
    """`login:DEVICE:SECRET` -> the device id and the secret's digest; None for anything else
    (and for a device id that cannot be ours: no database query)."""
    parts = frame.strip().split(":")
    if len(parts) != 3 or parts[0] != "login" or not plausible_device_id(parts[1]):
        return None
    return parts[1], digest(parts[2])


class PushLogins:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self._batcher: Batcher[Login, Who] = Batcher(BATCH)

    async def check(self, frame: str) -> Who:
        login = parse(frame)
        if login is None:
            return None
        return await self._batcher.submit(login, self._run)

    async def _run(self, take: Callable[[], list[Login]]) -> Sequence[Who]:
        now = self.rt.clock.now()
        async with self.rt.sessions() as session, session.begin():
            logins = take()
            rows = (await session.execute(_OWNED, {
                "ids": sorted({d for d, _ in logins}),
                "digests": sorted({s for _, s in logins})})).all()
            owned = {(r.public_id, r.secret_digest): r for r in rows}
            found = [owned.get(login) for login in logins]
            stale = sorted({r.public_id for r in found if r is not None and (
                r.last_seen_at is None or r.last_seen_at <= now - TOUCH_EVERY)})
            if stale:
                await session.execute(_TOUCH, {"ids": stale, "now": now})
        return [(r.public_id, int(r.user_id)) if r is not None else None for r in found]
