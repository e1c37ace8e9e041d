"""The api service: serves HTTP and WebSockets, relays the outbox, forwards nudges to devices."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Iterator
from functools import partial

import uvicorn
from fastapi import FastAPI
from overpush import presence
from overpush.background import Repeat
from overpush.client_address import trusted_networks
from overpush.events import DevicesNudged, Event
from overpush.outbox_relay import OutboxRelay
from overpush.presence import Record
from overpush.runtime import Runtime

from services.api.app import create_app
from services.api.connections import KEEPALIVE, NEW_MESSAGES, RELOAD, Connections
from services.api.guard import (
    Guard,
    Limits,
    OncePerInterval,
    protocols,
    raise_descriptor_limit,
    total_cap,
)
from services.api.routes.messages import MessagesEndpoint
from services.api.routes.push import ASGIApp, PushEndpoint

log = logging.getLogger(__name__)


def server_config(app: FastAPI | ASGIApp, host: str, port: int,
                  guard: Guard | None = None) -> uvicorn.Config:
    """How the api serves HTTP and WebSockets (the benchmark serves its bare endpoint the same
    way, so the two figures compare like with like); with `guard`, under its limits."""
    http, ws = protocols(guard) if guard is not None else ("auto", "websockets-sansio")
    return uvicorn.Config(
        app, host=host, port=port, log_config=None,
        lifespan="off", access_log=False, server_header=False,
        # '#' frames keep idle connections alive; compression would cost ~64 KB of zlib
        # state per connection for one-byte frames. The sans-I/O websockets protocol holds
        # ~6 KB less per idle connection than the default (legacy) one: 19 vs 25 KB measured
        # with bench/idle_ws.py, and it needs no dependency beyond websockets.
        http=http, ws=ws,
        ws_ping_interval=None, ws_ping_timeout=None, ws_per_message_deflate=False,
        ws_max_size=64 * 1024, timeout_graceful_shutdown=10, backlog=4096,
        # Idle keep-alive connections close after 75 s (nginx's default), not uvicorn's 5: a
        # client that reuses a connection just as the server closes it gets a transport error
        # and cannot know whether its message was accepted. httpx keeps connections for 5 s,
        # exactly uvicorn's default, and the scale-out test hit that race; the server must be
        # the side that waits longer.
        timeout_keep_alive=75,
    )


class Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The runner owns SIGTERM/SIGINT for all services in the process.
        yield


def limits_of(rt: Runtime) -> Limits:
    s = rt.settings
    return Limits(header_timeout=s.http_header_timeout, body_window=s.http_body_window,
                  body_min_rate=s.http_body_min_rate, per_client=s.max_connections_per_client,
                  total=total_cap(s.max_connections, raise_descriptor_limit()),
                  trusted=trusted_networks(s.trusted_proxies))


class ApiService:
    name = "api"

    def __init__(self) -> None:
        self._server: Server | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._keepalive: Repeat | None = None
        self._relay: OutboxRelay | None = None
        self.connections: Connections | None = None
        self.guard: Guard | None = None
        # This process's name among the api instances: its nudge queue's address and its
        # presence rows' instance (overpush.presence). New at every start.
        self.instance = secrets.token_hex(8)
        self.record: Record | None = None

    async def start(self, rt: Runtime) -> None:
        self.connections = conns = Connections(rt.metrics)
        received = rt.metrics.nudges_received

        async def on_nudge(event: Event) -> None:
            assert isinstance(event, DevicesNudged)
            received.labels("broadcast" if event.instance is None else "addressed").inc()
            await conns.send(event.device_ids, event.frame.encode(), close=event.close,
                             spare=event.spare)

        async def on_gap() -> None:
            # Nudges sent while our bus link was down (or while our presence rows were
            # gone) never reached us: every device here syncs once, rather than wait for
            # its next message.
            await conns.broadcast(NEW_MESSAGES)

        if not rt.settings.is_memory_bus:
            # Registered before anything is served: our devices' rows name a live instance.
            self.record = Record(rt, self.instance, conns.held, on_gap)
            await self.record.start()
        app = create_app(rt, conns, self.record)
        await rt.bus.subscribe("api", [DevicesNudged], on_nudge, broadcast=True, on_gap=on_gap,
                               address=self.instance)
        if not any(isinstance(f, OncePerInterval) for f in logging.getLogger("asyncio").filters):
            logging.getLogger("asyncio").addFilter(OncePerInterval())
        self._relay = OutboxRelay(rt, partial(presence.publish, rt))
        self._relay.start()
        push: PushEndpoint = app.state.push
        sends: MessagesEndpoint = app.state.messages
        self.guard = Guard(limits_of(rt))
        self._server = Server(server_config(
            sends.route(push.route(app)), rt.settings.http_host, rt.settings.http_port, self.guard
        ))
        self._tasks.append(asyncio.create_task(self._server.serve(), name="uvicorn"))
        while not self._server.started:
            if self._tasks[0].done():
                self._tasks[0].result()  # raises the bind error, for instance
                raise RuntimeError("HTTP server stopped during start-up")
            await asyncio.sleep(0.01)

        async def keepalive() -> bool:
            await conns.broadcast(KEEPALIVE)
            return False

        self._keepalive = Repeat("keepalive", keepalive,
                                 lambda: asyncio.sleep(rt.settings.websocket_keepalive),
                                 idle_first=True)
        self._keepalive.start()
        log.info("api listening on http://%s:%d", rt.settings.http_host, rt.settings.http_port)

    async def stop(self) -> None:
        if self.connections is not None:
            # R: reconnect (to another replica, or to this one once it is back).
            await self.connections.broadcast(RELOAD)
        if self._server is not None:
            self._server.should_exit = True
        if self._keepalive is not None:
            await self._keepalive.stop()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.record is not None:
            await self.record.stop()
        if self._relay is not None:
            await self._relay.stop()
            # Publish what was committed up to now, so a clean stop leaves nothing behind.
            with contextlib.suppress(Exception):
                await self._relay.flush()
