"""Turns MessageAccepted into per-device queue rows, then hands the pushes to providers."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence

from overpush.db import insert_ignore
from overpush.events import Event, MessageAccepted
from overpush.models import Delivery, Device, Message
from overpush.runtime import Runtime
from sqlalchemy import select, update

from services.dispatcher.fanout import Target, plan
from services.dispatcher.providers.base import Provider, Push
from services.dispatcher.providers.websocket import WebSocketProvider

log = logging.getLogger(__name__)


class DispatcherService:
    name = "dispatcher"

    def __init__(self, providers: Sequence[Provider] | None = None) -> None:
        self._providers = providers
        self._rt: Runtime | None = None

    async def start(self, rt: Runtime) -> None:
        self._rt = rt
        providers = list(self._providers or [WebSocketProvider(rt.bus)])
        self._by_os = {os: p for p in providers for os in p.platforms}
        await self._recover(rt)
        await rt.bus.subscribe("dispatcher", [MessageAccepted], self.handle, concurrency=32)

    async def stop(self) -> None:
        pass

    async def _recover(self, rt: Runtime) -> None:
        """Dispatch committed messages that no dispatcher finished (a crash with the in-process
        bus loses the queued event, never the message row)."""
        async with rt.sessions() as session:
            ids = list((await session.scalars(
                select(Message.id).where(Message.dispatched_at.is_(None)).order_by(Message.id)
            )).all())
        if ids:
            log.info("recovering %d undispatched messages", len(ids))
            await self.dispatch(ids)

    async def handle(self, event: Event) -> None:
        assert isinstance(event, MessageAccepted)
        await self.dispatch(event.message_ids)

    async def dispatch(self, message_ids: list[int]) -> None:
        rt = self._rt
        assert rt is not None
        now = rt.clock.now()
        async with rt.sessions() as session, session.begin():
            # Plain columns, not ORM entities: a group send fans out to thousands of rows.
            query = select(Message.id, Message.user_id, Message.devices, Message.created_at) \
                .where(Message.id.in_(message_ids), Message.dispatched_at.is_(None))
            if not rt.settings.is_sqlite:
                query = query.with_for_update(skip_locked=False)
            fresh = (await session.execute(query)).all()
            user_ids = {m.user_id for m in fresh}
            devices: dict[int, list[Target]] = defaultdict(list)
            if user_ids:
                for d in (await session.execute(
                    select(Device.id, Device.public_id, Device.name, Device.os, Device.user_id)
                    .where(Device.user_id.in_(user_ids), Device.enabled).order_by(Device.id)
                )).all():
                    devices[d.user_id].append(Target(d.id, d.public_id, d.name, d.os))
            rows = [
                {"device_id": t.id, "message_id": m.id, "created_at": now}
                for m in fresh for t in plan(m.devices, devices[m.user_id])
            ]
            if rows:
                await session.execute(insert_ignore(
                    session, Delivery, rows, ["device_id", "message_id"]
                ))
            if fresh:
                await session.execute(update(Message).where(
                    Message.id.in_([m.id for m in fresh])
                ).values(dispatched_at=now))
            for m in fresh:
                rt.metrics.latency.observe(max((now - m.created_at).total_seconds(), 0))
            # Push for every queued row of these messages, not only the new ones: a redelivered
            # event (we crashed after commit) must still wake the devices.
            queued = (await session.execute(
                select(Delivery.message_id, Message.priority, Device.id, Device.public_id,
                       Device.name, Device.os)
                .join(Device, Device.id == Delivery.device_id)
                .join(Message, Message.id == Delivery.message_id)
                .where(Delivery.message_id.in_(message_ids))
            )).all()
        await self._push([
            Push(Target(did, pid, name, os), mid, prio) for mid, prio, did, pid, name, os in queued
        ])
        log.info("dispatched messages %s to %d devices", message_ids, len(queued),
                 extra={"message_ids": message_ids})

    async def _push(self, pushes: list[Push]) -> None:
        rt = self._rt
        assert rt is not None
        by_provider: dict[int, tuple[Provider, list[Push]]] = {}
        for p in pushes:
            provider = self._by_os.get(p.target.os)
            if provider is not None:
                by_provider.setdefault(id(provider), (provider, []))[1].append(p)
        for provider, batch in by_provider.values():
            outcomes = await provider.send(batch)
            name = type(provider).__name__.removesuffix("Provider").lower()
            for outcome in outcomes:
                rt.metrics.delivered.labels(name, outcome.value).inc()
