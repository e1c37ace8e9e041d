"""RabbitMQ bus (aio-pika): confirmed persistent publishes, quorum queues, a dead-letter exchange.

Field notes that shaped this (../notes/reliability.md §1): aio-pika's Message() is transient
and returns do not raise unless asked, so both are set; consumers use `queue.consume` with a
guarded ack, because ack() can raise during a broker restart; the broker here (3.10) has no
default delivery limit, so every queue sets one and dead-letters past it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

import aio_pika
import aiormq
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)

from overpush.bus import ADDRESS, Gap, Handler, Unroutable, check_address
from overpush.events import Event, decode, encode

log = logging.getLogger(__name__)

DELIVERY_LIMIT = 20
RETRY_DELAY_CAP = 5.0  # seconds a failed event waits, at most, before it is handed back
PUBLISH_TIMEOUT = 10.0
# On close (SIGTERM), handlers already running get this long to finish and ack; Kubernetes'
# terminationGracePeriodSeconds must be longer (deploy/k8s uses 60 s).
DRAIN_TIMEOUT = 20.0


class RabbitBus:
    def __init__(self, url: str, prefix: str = "overpush", *,
                 delivery_limit: int = DELIVERY_LIMIT, retry_delay_cap: float = RETRY_DELAY_CAP,
                 publish_timeout: float = PUBLISH_TIMEOUT,
                 drain_timeout: float = DRAIN_TIMEOUT) -> None:
        self._url = url
        self._prefix = prefix
        self._delivery_limit = delivery_limit
        self._retry_delay_cap = retry_delay_cap
        self._publish_timeout = publish_timeout
        self._drain_timeout = drain_timeout
        self._conn: AbstractRobustConnection | None = None
        self._pub: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._channels: list[AbstractChannel] = []
        self._consumers: list[tuple[AbstractQueue, str]] = []
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def exchange_name(self) -> str:
        return f"{self._prefix}.events"

    @property
    def dead_exchange_name(self) -> str:
        return f"{self._prefix}.dead"

    async def start(self) -> None:
        self._conn = await aio_pika.connect_robust(self._url, reconnect_interval=1.0)
        self._pub = await self._conn.channel(publisher_confirms=True, on_return_raises=True)
        self._exchange = await self._pub.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        dead = await self._pub.declare_exchange(
            self.dead_exchange_name, aio_pika.ExchangeType.FANOUT, durable=True
        )
        parking = await self._pub.declare_queue(
            f"{self._prefix}.dead", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await parking.bind(dead)

    async def close(self) -> None:
        await self._drain()
        conn, self._conn, self._exchange = self._conn, None, None
        if conn is not None:
            await conn.close()

    async def _drain(self) -> None:
        """Stop new deliveries, then let the handlers in flight finish and ack them, so a
        stopping pod completes its work instead of leaving it to be redone elsewhere."""
        consumers, self._consumers = self._consumers, []
        for queue, tag in consumers:
            try:
                # Bounded: during a reconnect aio-pika would wait for the channel forever.
                async with asyncio.timeout(5.0):
                    await queue.cancel(tag)
            except Exception:  # the channel is gone already: the broker requeues for us
                log.debug("consumer %s not cancelled", tag, exc_info=True)
        await asyncio.sleep(0)  # let deliveries received before CancelOk start their handler
        try:
            async with asyncio.timeout(self._drain_timeout):
                await self._idle.wait()
        except TimeoutError:
            log.warning("%d handlers still running after %.0f s; the broker will redeliver "
                        "their messages", self._inflight, self._drain_timeout)

    async def healthy(self) -> bool:
        # A robust connection is not "closed" while it reconnects; `connected` says whether
        # there is a live link to the broker right now.
        conn, pub = self._conn, self._pub
        return (conn is not None and conn.connected.is_set() and not conn.is_closed
                and pub is not None and not pub.is_closed)

    async def publish(self, event: Event) -> None:
        exchange = self._exchange
        if exchange is None:
            raise ConnectionError("the RabbitMQ bus is not started, or closed")
        address = check_address(event)
        # An addressed event's routing key names its subscriber ("devices.nudged.<address>"),
        # so its type travels in the message's `type` property, which consumers decode by.
        key = event.routing_key if address is None else f"{event.routing_key}.{address}"
        message = aio_pika.Message(
            encode(event),
            content_type="application/json",
            type=event.routing_key,
            message_id=event.event_id,
            delivery_mode=(
                aio_pika.DeliveryMode.PERSISTENT if event.durable
                else aio_pika.DeliveryMode.NOT_PERSISTENT
            ),
        )
        # mandatory: an event no queue is bound for comes back as an error instead of vanishing,
        # and the outbox tries it again later. Signals may go nowhere, by design.
        try:
            # The deadline also covers waiting for the channel while the robust connection
            # reconnects (aio-pika waits for it without a limit): a publish never hangs, it
            # fails, and the outbox keeps the event for a later sweep.
            async with asyncio.timeout(self._publish_timeout):
                await exchange.publish(message, key, mandatory=event.durable,
                                       timeout=self._publish_timeout)
        except aiormq.exceptions.PublishError as exc:
            raise Unroutable(f"no queue is bound for {event.routing_key}") from exc

    async def subscribe(
        self,
        group: str,
        events: Sequence[type[Event]],
        handler: Handler,
        *,
        broadcast: bool = False,
        concurrency: int = 64,
        on_gap: Gap | None = None,
        address: str | None = None,
    ) -> None:
        assert self._conn is not None, "bus not started"
        if address is not None and not ADDRESS.fullmatch(address):
            raise ValueError(f"not a subscriber address: {address!r}")
        channel = await self._conn.channel()
        self._channels.append(channel)
        await channel.set_qos(prefetch_count=concurrency)
        exchange = await channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        for ev in events:
            if broadcast and address is not None:
                # Named, so an operator can tell whose queue it is: its binding key is what
                # routes the events addressed to it (and the plain key brings the rest).
                queue = await channel.declare_queue(
                    f"{self._prefix}.{group}.{ev.routing_key}.{address}",
                    exclusive=True, auto_delete=True)
                await queue.bind(exchange, f"{ev.routing_key}.{address}")
            elif broadcast:
                queue = await channel.declare_queue(exclusive=True, auto_delete=True)
            else:
                queue = await channel.declare_queue(
                    f"{self._prefix}.{group}.{ev.routing_key}",
                    durable=True,
                    arguments={
                        "x-queue-type": "quorum",
                        "x-dead-letter-exchange": self.dead_exchange_name,
                        "x-delivery-limit": self._delivery_limit,
                    },
                )
            await queue.bind(exchange, ev.routing_key)
            tag = await queue.consume(self._tracked(self._consumer(group, handler)))
            self._consumers.append((queue, tag))
        if broadcast and on_gap is not None:
            # Called once the robust connection has restored every channel (the exclusive
            # queue above included): what was published in between never reached us.
            self._conn.reconnect_callbacks.add(_after_reconnect(group, on_gap))

    def _tracked(self, callback: Callable[[AbstractIncomingMessage], Awaitable[None]]
                 ) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
        """Counts handlers in flight, so close() can wait for them."""

        async def run(message: AbstractIncomingMessage) -> None:
            self._inflight += 1
            self._idle.clear()
            try:
                await callback(message)
            finally:
                self._inflight -= 1
                if not self._inflight:
                    self._idle.set()

        return run

    def _consumer(self, group: str, handler: Handler):  # type: ignore[no-untyped-def]
        async def on_message(message: AbstractIncomingMessage) -> None:
            try:
                # `type` names the event; messages from before it was set have only their key.
                event = decode(message.type or message.routing_key or "", message.body)
            except Exception:
                log.exception("undecodable message on %s; dead-lettering", group)
                await _settle(message.reject(requeue=False))
                return
            try:
                await handler(event)
            except asyncio.CancelledError:
                raise
            except Exception:
                count = int(str((message.headers or {}).get("x-delivery-count", 0) or 0))
                log.warning("handler %s failed on %s (delivery %d); requeueing",
                            group, event.event_id, count + 1, exc_info=True)
                # Back off before handing it back so a failing dependency is not hammered;
                # the queue's delivery limit dead-letters it eventually.
                await asyncio.sleep(min(0.1 * 2**count, self._retry_delay_cap))
                await _settle(message.reject(requeue=True))
                return
            await _settle(message.ack())

        return on_message


def _after_reconnect(group: str, on_gap: Gap) -> Callable[[object], Awaitable[None]]:
    async def reconnected(_connection: object) -> None:
        log.info("bus reconnected; %s may have missed broadcast events meanwhile", group)
        try:
            await on_gap()
        except Exception:
            log.exception("%s could not make up for missed broadcast events", group)

    return reconnected


async def _settle(op: asyncio.Future[None] | object) -> None:
    """Ack or reject, tolerating a connection that dropped: the broker then redelivers."""
    try:
        await op  # type: ignore[misc]
    except (aiormq.exceptions.AMQPError, aio_pika.exceptions.ChannelInvalidStateError,
            ConnectionError, RuntimeError):
        log.warning("ack/reject lost with the connection; the broker will redeliver")
