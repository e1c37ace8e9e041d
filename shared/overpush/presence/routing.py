"""Where a device frame goes: to the api instance holding the device, by its presence row.

The rule (`plan`), per device of a DevicesNudged:

* held by an instance whose record is fresh: addressed to that instance alone;
* held by an instance whose record is stale (its heartbeat lapsed: dead, or cut off from
  the database) or whose record is gone: broadcast, since only every instance is sure;
* held by nobody: a `!` goes nowhere, because an instance writes a device's row before it
  tells the device to sync (`!` right after log-in), so a nudge that found no row was for a
  message the device's log-in sync already fetches. A frame that closes (`E`, `A`) is
  broadcast instead: a log-in being recorded at that very moment must still hear it.

A lookup that fails (the database is away) broadcasts the whole event: presence unknown.
Looked up after the caller's commit, never inside it, so the rule above holds.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from overpush.db import autocommit, table_of
from overpush.events import DevicesNudged, Event
from overpush.models import ApiInstance, DevicePresence
from overpush.runtime import Runtime

log = logging.getLogger(__name__)

LOOKUP_CHUNK = 1000  # ids per query: well under either database's parameter limit


@dataclass(frozen=True)
class Holder:
    instance: str
    expires_at: datetime | None  # the instance's record is trusted until then; None: gone


@dataclass
class Plan:
    addressed: dict[str, list[str]] = field(default_factory=dict)
    broadcast: list[str] = field(default_factory=list)
    unheld: list[str] = field(default_factory=list)


def plan(device_ids: Iterable[str], holders: Mapping[str, Holder], now: datetime, *,
         closing: bool) -> Plan:
    """The route of each device's frame (module docstring)."""
    addressed: dict[str, list[str]] = defaultdict(list)
    result = Plan()
    for device in sorted(set(device_ids)):
        holder = holders.get(device)
        if holder is None:
            (result.broadcast if closing else result.unheld).append(device)
        elif holder.expires_at is None or holder.expires_at <= now:
            result.broadcast.append(device)
        else:
            addressed[holder.instance].append(device)
    result.addressed = dict(addressed)
    return result


def events(event: DevicesNudged, route: Plan) -> list[DevicesNudged]:
    """`event` split by `route`: one per holding instance, one broadcast for the rest."""
    fields = {"frame": event.frame, "close": event.close, "spare": event.spare}
    out = [DevicesNudged(device_ids=ids, instance=instance, **fields)
           for instance, ids in sorted(route.addressed.items())]
    if route.broadcast:
        out.append(DevicesNudged(device_ids=route.broadcast, **fields))
    return out


_P, _I = table_of(DevicePresence), table_of(ApiInstance)
_HOLDERS = (select(_P.c.device, _P.c.instance, _I.c.expires_at)
            .select_from(_P.outerjoin(_I, _I.c.id == _P.c.instance))
            .where(_P.c.device.in_(bindparam("ids", expanding=True))))


async def holders(session: AsyncSession | AsyncConnection, device_ids: Sequence[str]
                  ) -> dict[str, Holder]:
    """The presence rows of these devices, with their instance's expiry."""
    found: dict[str, Holder] = {}
    ids = sorted(set(device_ids))
    for start in range(0, len(ids), LOOKUP_CHUNK):
        rows = await session.execute(_HOLDERS, {"ids": ids[start:start + LOOKUP_CHUNK]})
        found.update((r.device, Holder(r.instance, r.expires_at)) for r in rows)
    return found


async def routed(rt: Runtime, event: DevicesNudged) -> list[DevicesNudged]:
    """The events that carry `event` to the instances holding its devices."""
    if rt.settings.is_memory_bus or event.instance is not None or not event.device_ids:
        # One process holds every connection (or the sender chose the instance already).
        return [event]
    try:
        async with autocommit(rt.engine) as conn:
            found = await holders(conn, event.device_ids)
    except Exception:
        log.warning("device presence unknown (lookup failed); sending %r to every api "
                    "instance", event.frame, exc_info=True)
        return [event]
    route = plan(event.device_ids, found, rt.clock.now(), closing=event.close)
    if route.unheld:
        rt.metrics.nudges_unheld.inc(len(route.unheld))
    return events(event, route)


async def publish(rt: Runtime, event: Event) -> None:
    """Publish `event` on the bus; a device frame goes where its devices are held."""
    if not isinstance(event, DevicesNudged):
        await rt.bus.publish(event)
        return
    out = await routed(rt, event)
    if len(out) == 1:  # the usual case, and in one process always: gather would make a task
        await rt.bus.publish(out[0])
    else:
        await asyncio.gather(*(rt.bus.publish(e) for e in out))
    for e in out:
        rt.metrics.nudges_published.labels(
            "broadcast" if e.instance is None else "addressed").inc()


async def nudge(rt: Runtime, device_ids: Sequence[str]) -> None:
    """Tell these devices `!` (new messages), on whichever instance holds each."""
    if device_ids:
        await publish(rt, DevicesNudged(device_ids=sorted(set(device_ids))))
