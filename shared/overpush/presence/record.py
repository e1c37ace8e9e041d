"""One api instance's presence record: the devices whose WebSockets it holds.

Writes are batched, as the intake's group commit is: every log-in that arrives while one
write runs goes into the next, one statement for all of them, so a storm of log-ins costs a
few transactions, not one each. A log-in waits for its row to commit before the device is
told to sync (overpush.presence.routing says why). Closes are written in the background.

The instance's row is renewed by a heartbeat every third of `presence_ttl`; each heartbeat
also sweeps the rows of instances whose record lapsed long ago (dead ones). An instance
that finds itself swept (it was cut off from the database for that long) writes its
connections again and has every device sync, as after a gap on the bus.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.background import Repeat
from overpush.batching import Batcher
from overpush.db import table_of
from overpush.events import DevicesNudged
from overpush.models import ApiInstance, DevicePresence
from overpush.runtime import Runtime

log = logging.getLogger(__name__)

BATCH = 200  # rows per statement: 5 parameters each, within SQLite's limit
# A lapsed instance's rows stay (and are broadcast to) this many TTLs before the sweep
# deletes them: long enough for its devices to have reconnected elsewhere.
SWEEP_AFTER_TTLS = 10

_P, _I = table_of(DevicePresence), table_of(ApiInstance)
_GONE = delete(_P).where(_P.c.device == bindparam("d"), _P.c.conn == bindparam("c"))
_RENEW = update(_I).where(_I.c.id == bindparam("me")).values(expires_at=bindparam("until"))
_LAPSED = select(_I.c.id).where(_I.c.expires_at < bindparam("cutoff"))


def _upsert(dialect: str, rows: list[dict[str, Any]]) -> Any:
    """Insert or take over the devices' rows, returning who held each before."""
    mod: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = mod.insert(_P).values(rows)
    return stmt.on_conflict_do_update(index_elements=["device"], set_={
        # Evaluated on the old row: `previous` gets the instance it had.
        "previous": _P.c.instance, "instance": stmt.excluded.instance,
        "conn": stmt.excluded.conn, "since": stmt.excluded.since,
    }).returning(_P.c.device, _P.c.previous)


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind is not None else "sqlite"


class Record:
    """This instance's presence rows. `held` lists its connections now, as (device,
    connection id) pairs; `on_swept` is called after its rows were written again."""

    def __init__(self, rt: Runtime, instance: str,
                 held: Callable[[], Iterable[tuple[str, str]]],
                 on_swept: Callable[[], Awaitable[None]]) -> None:
        self.rt, self.instance = rt, instance
        self._held, self._on_swept = held, on_swept
        self._ttl = timedelta(seconds=max(rt.settings.presence_ttl, 0.3))
        self._logins: Batcher[tuple[str, str], None] = Batcher(BATCH)
        self._gone: list[tuple[str, str]] = []
        self._gone_wakeup = asyncio.Event()
        self._loops = [
            Repeat("presence-heartbeat", self._beat, self._between_beats),
            Repeat("presence-closes", self._write_closes, self._wait_for_closes),
        ]

    async def start(self) -> None:
        """Register this instance (before it serves anything), then keep it fresh."""
        await self._register()
        for loop in self._loops:
            loop.start()

    async def stop(self) -> None:
        """Withdraw: this instance holds nothing any more (its devices were told `R`)."""
        for loop in self._loops:
            await loop.stop()
        try:
            async with self.rt.sessions() as session, session.begin():
                await session.execute(delete(_P).where(_P.c.instance == self.instance))
                await session.execute(delete(_I).where(_I.c.id == self.instance))
        except Exception:  # the rows lapse and are swept like a crashed instance's
            log.warning("could not withdraw the presence of %s", self.instance, exc_info=True)

    # Log-ins and closes.

    async def connected(self, device: str, conn: str) -> None:
        """Record that this instance holds `device` on connection `conn`, once committed.
        The instance that held it before (if another) is told `A` for its connection.
        Raises when the row could not be written: the caller must not keep the connection."""
        await self._logins.submit((device, conn), self._write_logins)

    def closed(self, device: str, conn: str) -> None:
        """Connection `conn` of `device` ended here (its row goes, unless a newer log-in
        took it over)."""
        self._gone.append((device, conn))
        self._gone_wakeup.set()

    async def _write_logins(self, take: Callable[[], list[tuple[str, str]]]) -> list[None]:
        now = self.rt.clock.now()
        async with self.rt.sessions() as session, session.begin():
            items = take()
            # The batch's last log-in of a device wins (the api ends its earlier ones here).
            newest = dict(items)
            rows = [{"device": d, "instance": self.instance, "conn": c, "since": now,
                     "previous": None} for d, c in sorted(newest.items())]
            previous = (await session.execute(_upsert(_dialect(session), rows))).all()
        elsewhere: dict[str, list[str]] = defaultdict(list)
        for device, instance in previous:
            if instance is not None and instance != self.instance:
                elsewhere[instance].append(device)
        await self._end_elsewhere(elsewhere)
        return [None] * len(items)

    async def _end_elsewhere(self, elsewhere: dict[str, list[str]]) -> None:
        """One connection per device (spec §9.1): `A` to each instance that held a device
        before, addressed to it alone (it closes every connection of the device it holds)."""
        for instance, devices in sorted(elsewhere.items()):
            event = DevicesNudged(device_ids=sorted(devices), frame="A", close=True,
                                  instance=instance)
            try:
                await self.rt.bus.publish(event)
                self.rt.metrics.nudges_published.labels("addressed").inc()
            except Exception:  # the bus is down: those older connections stay, as before
                log.warning("could not end the connections of %d devices on %s",
                            len(devices), instance, exc_info=True)

    async def _wait_for_closes(self) -> None:
        await self._gone_wakeup.wait()
        self._gone_wakeup.clear()

    async def _write_closes(self) -> bool:
        batch = self._gone[:BATCH]
        if batch:
            async with self.rt.sessions() as session, session.begin():
                await session.execute(_GONE, [{"d": d, "c": c} for d, c in batch])
            del self._gone[:len(batch)]
        return bool(self._gone)

    # The instance's own row.

    async def _register(self) -> None:
        now = self.rt.clock.now()
        async with self.rt.sessions() as session, session.begin():
            await session.execute(insert(_I).values(
                id=self.instance, host=socket.gethostname()[:255], started_at=now,
                expires_at=now + self._ttl))

    async def _between_beats(self) -> None:
        await asyncio.sleep(self._ttl.total_seconds() / 3)

    async def _beat(self) -> bool:
        now = self.rt.clock.now()
        async with self.rt.sessions() as session, session.begin():
            result = await session.execute(
                _RENEW, {"me": self.instance, "until": now + self._ttl})
            renewed = int(getattr(result, "rowcount", 0) or 0)
            lapsed = list((await session.scalars(
                _LAPSED, {"cutoff": now - self._ttl * SWEEP_AFTER_TTLS})).all())
            if lapsed:
                await session.execute(delete(_P).where(_P.c.instance.in_(lapsed)))
                await session.execute(delete(_I).where(_I.c.id.in_(lapsed)))
                log.info("swept the presence of lapsed api instances %s", lapsed)
        if not renewed:
            await self._rejoin()
        return False

    async def _rejoin(self) -> None:
        """Our rows were swept while we could not renew them: write them again (a device
        that logged in elsewhere since keeps its newer row), then every device syncs."""
        log.warning("api instance %s was swept as lapsed; recording its connections again",
                    self.instance)
        await self._register()
        held = sorted(dict(self._held()).items())
        now = self.rt.clock.now()
        async with self.rt.sessions() as session, session.begin():
            for start in range(0, len(held), BATCH):
                rows = [{"device": d, "instance": self.instance, "conn": c, "since": now,
                         "previous": None} for d, c in held[start:start + BATCH]]
                mod: Any = postgresql if _dialect(session) == "postgresql" else sqlite
                await session.execute(mod.insert(_P).values(rows)
                                      .on_conflict_do_nothing(index_elements=["device"]))
        try:
            await self._on_swept()
        except Exception:  # the rows are back; the devices sync at their next nudge
            log.warning("could not have the devices of %s sync", self.instance, exc_info=True)
