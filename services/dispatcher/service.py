"""Turns MessageAccepted into per-device queue rows, then hands the pushes to providers."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta

from overpush import licenses
from overpush.db import InsertIgnore, table_of
from overpush.events import Event, MessageAccepted, ReceiptsRetryDue
from overpush.mailer import make_mailer
from overpush.models import Delivery, Device, Message
from overpush.runtime import Runtime
from sqlalchemy import BindParameter, bindparam, select, update

from services.dispatcher import outcomes, pushes
from services.dispatcher.fanout import Target, plan
from services.dispatcher.providers.apns import ApnsProvider
from services.dispatcher.providers.base import Provider, Push, Result, as_result
from services.dispatcher.providers.fcm import FcmProvider
from services.dispatcher.providers.websocket import WebSocketProvider
from services.dispatcher.queue_order import lock_devices_for
from services.dispatcher.realert import realert
from services.dispatcher.retention import RetentionLoop
from services.dispatcher.retries import RetryLoop

log = logging.getLogger(__name__)
RECOVER_BATCH = 500
RECOVER_AFTER = timedelta(minutes=10)


# Built once: these run for every batch of accepted messages.
_M, _D = table_of(Message), table_of(Device)
_IDS: BindParameter[int] = bindparam("ids", expanding=True)
# Plain columns, not ORM entities: a group send fans out to thousands of rows.
_FRESH = select(_M.c.id, _M.c.user_id, _M.c.devices, _M.c.created_at) \
    .where(_M.c.id.in_(_IDS), _M.c.dispatched_at.is_(None))
_FRESH_LOCKED = _FRESH.with_for_update()
_DEVICES = select(_D.c.id, _D.c.public_id, _D.c.name, _D.c.os, _D.c.user_id) \
    .where(_D.c.user_id.in_(bindparam("users", expanding=True)), _D.c.enabled) \
    .order_by(_D.c.id)
_QUEUE = InsertIgnore(Delivery, ["device_id", "message_id"])
_DISPATCHED = update(_M).where(_M.c.id.in_(_IDS)).values(dispatched_at=bindparam("now"))


class DispatcherService:
    name = "dispatcher"

    def __init__(self, providers: Sequence[Provider] | None = None) -> None:
        self._providers = providers
        self._rt: Runtime | None = None
        self._loops: list[RetryLoop | RetentionLoop] = []
        self._owned: list[ApnsProvider | FcmProvider] = []

    async def start(self, rt: Runtime) -> None:
        self._rt = rt
        if self._providers is None:
            self._owned = [p for p in (ApnsProvider.from_settings(rt.settings),
                                       FcmProvider.from_settings(rt.settings)) if p]
            served = {os for p in self._owned for os in p.platforms}
            for os, what in (("I", "APNs (OVERPUSH_APNS_*)"), ("A", "FCM (OVERPUSH_FCM_*)")):
                if os not in served:  # such phones still get messages when the app syncs
                    log.info("%s not configured: os=%s devices get no pushes", what, os)
        providers = list(self._providers or [WebSocketProvider(rt.bus), *self._owned])
        self._by_os = {os: p for p in providers for os in p.platforms}
        self._retries = RetryLoop(rt, self._push, make_mailer(rt.settings))
        self._loops = [self._retries, RetentionLoop(rt)]
        for loop in self._loops:
            loop.start()
        await self._recover(rt)
        await rt.bus.subscribe("dispatcher", [MessageAccepted, ReceiptsRetryDue], self.handle,
                               concurrency=32)

    async def stop(self) -> None:
        for loop in self._loops:
            await loop.stop()
        for provider in self._owned:
            await provider.close()

    async def _recover(self, rt: Runtime) -> None:
        """Dispatch committed messages that no dispatcher finished.

        With the in-process bus that is every undispatched message: queued events die with
        their process, the message rows stay. On RabbitMQ a recent message's event is still
        queued or being handled (unacked, so redelivered after a crash): those are left to
        their consumer. Only messages older than RECOVER_AFTER are taken, whose event was
        dead-lettered (say, the database was down for longer than the delivery limit lasts).
        Batches keep each transaction small, and a batch that fails is logged and left for
        the next start instead of keeping the service from starting.
        """
        after = 0
        while True:
            query = (select(Message.id)
                     .where(Message.dispatched_at.is_(None), Message.id > after)
                     .order_by(Message.id).limit(RECOVER_BATCH))
            if not rt.settings.is_memory_bus:
                query = query.where(Message.created_at < rt.clock.now() - RECOVER_AFTER)
            async with rt.sessions() as session:
                ids = list((await session.scalars(query)).all())
            if not ids:
                return
            log.info("recovering %d undispatched messages", len(ids))
            try:
                await self.dispatch(ids)
            except Exception:
                log.exception("could not recover messages %s; will try at the next start", ids)
            after = ids[-1]

    async def handle(self, event: Event) -> None:
        if isinstance(event, ReceiptsRetryDue):
            assert self._rt is not None
            await self._push(await realert(self._rt, event))
            return
        assert isinstance(event, MessageAccepted)
        await self.dispatch(event.message_ids)

    async def dispatch(self, message_ids: list[int]) -> None:
        rt = self._rt
        assert rt is not None
        now = rt.clock.now()
        async with rt.sessions() as session, session.begin():
            await lock_devices_for(session, rt, message_ids)
            fresh = (await session.execute(
                _FRESH if rt.settings.is_sqlite else _FRESH_LOCKED, {"ids": message_ids}
            )).all()
            user_ids = {m.user_id for m in fresh}
            devices: dict[int, list[Target]] = defaultdict(list)
            if user_ids:
                for d in (await session.execute(_DEVICES, {"users": list(user_ids)})).all():
                    devices[d.user_id].append(Target(d.id, d.public_id, d.name, d.os))
            unlicensed = await licenses.blocked(session, rt.settings, user_ids, now)
            rows = [
                {"device_id": t.id, "message_id": m.id, "created_at": now}
                for m in fresh for t in plan(m.devices, devices[m.user_id])
                if (m.user_id, t.os) not in unlicensed
            ]
            if rows:
                await session.execute(_QUEUE.on(session), rows)
            if fresh:
                await session.execute(_DISPATCHED, {"ids": [m.id for m in fresh], "now": now})
            for m in fresh:
                rt.metrics.latency.observe(max((now - m.created_at).total_seconds(), 0))
            # Push for every queued row of these messages, not only the new ones: a redelivered
            # event (we crashed after commit) must still wake the devices.
            queued = await pushes.load(session, rt, Delivery.message_id.in_(message_ids))
        answers = await self._push(queued)
        if await outcomes.record(rt, answers):
            self._retries.wakeup.set()  # mail the owners of disabled devices now
        log.info("dispatched messages %s to %d devices", message_ids, len(queued),
                 extra={"message_ids": message_ids})

    async def _push(self, batch: Sequence[Push]) -> list[tuple[Push, Result]]:
        rt = self._rt
        assert rt is not None
        by_provider: dict[int, tuple[Provider, list[Push]]] = {}
        for p in batch:
            provider = self._by_os.get(p.target.os)
            if provider is not None:
                by_provider.setdefault(id(provider), (provider, []))[1].append(p)
        answers: list[tuple[Push, Result]] = []
        for provider, group in by_provider.values():
            results = [as_result(r) for r in await provider.send(group)]
            name = type(provider).__name__.removesuffix("Provider").lower()
            for push, result in zip(group, results, strict=True):
                rt.metrics.delivered.labels(name, result.outcome.value).inc()
                answers.append((push, result))
        return answers
