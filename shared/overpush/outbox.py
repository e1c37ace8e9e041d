"""Transactional outbox: events are committed with their change and published after commit.

A 200 from the API means the message and its event are committed. This module stages events
in the caller's transaction; the relay (`overpush.outbox_relay`) publishes them after the
commit and deletes each row only once the bus confirmed it, so a broker outage delays events
but never loses them. A crash between confirm and delete republishes: consumers are
idempotent.

Events committed in a process whose relay runs are also handed to that relay when their
transaction commits (`_committed`, an after-commit hook): it publishes them at once, without
reading them back; its sweep covers everything else (rows of other processes, a publish that
failed, a crash before the delete). That takes the relay's SELECT, and its wait for the
database, out of the path from a POST to the device; an event published twice (handed off and
swept in the same instant) is one more redelivery, which consumers take in their stride.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event as orm_events
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from overpush.db import table_of
from overpush.events import Event
from overpush.models import OutboxEvent
from overpush.runtime import Runtime

# A row handed to its own process's relay at commit is not due for other processes' sweeps
# until this long after: the relay publishes it within milliseconds and deletes it, and a
# replica sweeping in between would publish it a second time. If its process dies first,
# any sweep sends it once the grace is over.
HANDOFF_GRACE = timedelta(seconds=10)

def add(session: AsyncSession, rt: Runtime, event: Event) -> None:
    """Stage `event` in the caller's transaction."""
    handed = _hand_off_after_commit(session, rt, [event])
    session.add(OutboxEvent(**_row(event, rt.clock.now(), handed)))


_HANDOFF = "overpush.outbox.handoff"


def _hand_off_after_commit(session: AsyncSession, rt: Runtime, events: Sequence[Event]) -> bool:
    """Hand `events` to the relay once this transaction commits; whether they are. Not from
    a savepoint: one rolled back alone would leave the event handed off but its row gone."""
    if rt.outbox_handoff is None or session.in_nested_transaction():
        return False
    session.info.setdefault(_HANDOFF, (rt, []))[1].extend(events)
    return True


@orm_events.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    entry = session.info.pop(_HANDOFF, None)
    if entry is not None:
        rt, events = entry
        if rt.outbox_handoff is not None:
            rt.outbox_handoff.extend(events)
        rt.outbox_wakeup.set()


@orm_events.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_HANDOFF, None)  # nothing was committed: the relay gets nothing


def _row(event: Event, now: datetime, handed: bool) -> dict[str, Any]:
    return {"event_id": event.event_id, "routing_key": event.routing_key,
            "body": event.model_dump_json(), "created_at": now,
            "next_attempt_at": now + HANDOFF_GRACE if handed else None}


async def stage(session: AsyncSession, rt: Runtime, events: Sequence[Event]) -> None:
    """`add` for a hot path: the events in one prebuilt INSERT, no ORM unit of work."""
    if events:
        now = rt.clock.now()
        handed = _hand_off_after_commit(session, rt, events)
        await session.execute(_INSERT, [_row(e, now, handed) for e in events])


_INSERT = insert(table_of(OutboxEvent))
