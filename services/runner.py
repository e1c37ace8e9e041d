"""The composition root: builds every service with its collaborators (providers included),
runs them in one process, starts them in order and stops them in reverse on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from overpush import platforms
from overpush.db import migrate
from overpush.errors import ApiError, E
from overpush.runtime import Runtime, Service
from overpush.settings import Settings
from overpush.sms import provider_of

from services.ops_server import OpsServer

if TYPE_CHECKING:
    from services.dispatcher.providers.base import Provider

log = logging.getLogger(__name__)


def registry() -> dict[str, Callable[[Runtime], Service]]:
    """Every service by name, in start order (consumers first, then what feeds them), each
    built for a runtime with its collaborators. Imported here, not at the top: `overpush
    admin ...` needs none of them."""
    from services.api.service import ApiService
    from services.dispatcher.service import DispatcherService
    from services.mailgw.service import MailGatewayService
    from services.quota.service import QuotaService
    from services.receipts.service import ReceiptsService

    return {
        "dispatcher": lambda rt: DispatcherService(delivery_providers(rt)),
        "quota": lambda rt: QuotaService(),
        "receipts": lambda rt: ReceiptsService(provider_of(rt.settings)),
        "api": lambda rt: ApiService(),
        "mailgw": lambda rt: MailGatewayService(),
    }


def delivery_providers(rt: Runtime) -> list[Provider]:
    """A provider for every channel of the platform table that is configured; the dispatcher
    finds each by the name its channel gives. Call with the event loop running (aioapns binds
    its pool to the current loop)."""
    from services.dispatcher.providers.apns import ApnsProvider
    from services.dispatcher.providers.fcm import FcmProvider
    from services.dispatcher.providers.webpush import WebPushProvider
    from services.dispatcher.providers.websocket import WebSocketProvider

    built: list[Provider | None] = [
        WebSocketProvider(rt),
        ApnsProvider.from_settings(rt.settings),
        FcmProvider.from_settings(rt.settings),
        WebPushProvider.from_runtime(rt),
    ]
    providers = [p for p in built if p is not None]
    names = {p.name for p in providers}
    for channel in platforms.channels():
        if channel.provider not in names:  # such devices still get messages when they sync
            log.info("%s (%s) not configured: os=%s devices get no pushes", channel.label,
                     channel.configured_by, channel.platform)
    return providers


class ConfigError(ApiError):
    """A choice of services `overpush run` refuses; the command prints it and exits 2."""


def choose(names: Sequence[str], settings: Settings) -> list[str]:
    known = registry()
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ConfigError.of(E.SERVICE_UNKNOWN, f"unknown service {', '.join(unknown)}; "
                                                f"choose from {', '.join(known)}")
    chosen = [n for n in known if not names or n in names]
    if settings.is_memory_bus and set(chosen) != set(known):
        raise ConfigError.of(E.MEMORY_BUS_SPLIT)
    return chosen


class Runner:
    def __init__(self, rt: Runtime, names: Sequence[str]) -> None:
        self.rt = rt
        known = registry()
        self.services: list[Service] = [known[n](rt) for n in names]
        if "api" not in names:  # probes and metrics for processes that serve no HTTP
            self.services.insert(0, OpsServer())
        self._started: list[Service] = []

    async def start(self) -> None:
        if self.rt.settings.is_sqlite:
            await migrate(self.rt.engine)
        await self.rt.bus.start()
        for service in self.services:
            await service.start(self.rt)
            self._started.append(service)
            log.info("service %s started", service.name)

    async def stop(self) -> None:
        for service in reversed(self._started):
            try:
                await service.stop()
            except Exception:
                log.exception("service %s did not stop cleanly", service.name)
        self._started.clear()
        await self.rt.close()


async def run(settings: Settings, names: Sequence[str]) -> None:
    runner = Runner(Runtime.build(settings), choose(names, settings))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await runner.start()
        # What start-up made (modules, the app and its routes, SQLAlchemy's statement caches)
        # lives as long as the process: frozen, the collector's full passes no longer walk
        # it. They were a tenth of the CPU under ingest load (bench/README.md, Profiles).
        gc.freeze()
        log.info("overpush running: %s (event loop: %s)",
                 ", ".join(s.name for s in runner.services), type(loop).__module__)
        await stop.wait()
        log.info("stopping")
    finally:
        await runner.stop()
