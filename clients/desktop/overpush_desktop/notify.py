"""Showing messages as freedesktop notifications (desktop-notifier over dbus-fast), with the
emergency "Acknowledge" action, click-to-open, and sounds."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO

import httpx
from dbus_fast import Message, MessageType
from dbus_fast.aio import MessageBus
from desktop_notifier import Attachment, Button, DesktopNotifier, Icon, Urgency

from overpush_desktop import render, sounds
from overpush_desktop.api import ApiError, OpenClient
from overpush_desktop.assets import Assets
from overpush_desktop.config import Login

log = logging.getLogger(__name__)
SERVICE = "org.freedesktop.Notifications"
OBJECT = "/org/freedesktop/Notifications"
URGENCY = {"low": Urgency.Low, "normal": Urgency.Normal, "critical": Urgency.Critical}


async def capabilities() -> list[str]:
    """The notification service's GetCapabilities (raises when there is no service)."""
    bus = await MessageBus().connect()
    try:
        reply = await bus.call(Message(destination=SERVICE, path=OBJECT, interface=SERVICE,
                                       member="GetCapabilities"))
    finally:
        bus.disconnect()
    if reply is None or reply.message_type == MessageType.ERROR:
        raise ConnectionError(f"{SERVICE}: {reply.body if reply else 'no answer'}")
    return [str(c) for c in reply.body[0]]


class DesktopShower:
    """Each message becomes a notification; without a notification service, a line of text."""

    def __init__(self, client: OpenClient, login: Login, assets: Assets,
                 out: TextIO) -> None:
        self.client, self.login, self.assets, self.out = client, login, assets, out
        self.notifier = DesktopNotifier(app_name="Overpush", app_icon=None)
        self.shown: dict[str, str] = {}  # render.Notice.key -> the notifier's identifier
        self.background: set[asyncio.Task[Any]] = set()
        self._markup: bool | None = None
        self._warned = False
        # desktop-notifier logs a traceback per failed notification; we say it once, below.
        logging.getLogger("desktop_notifier").setLevel(logging.CRITICAL)

    async def aclose(self) -> None:
        if self.background:
            await asyncio.wait(self.background, timeout=5)

    async def _body_markup(self) -> bool:
        if self._markup is None:
            try:
                self._markup = "body-markup" in await capabilities()
            except Exception as exc:  # no session bus, no service: DBus says it many ways
                log.debug("no notification service: %r", exc)
                return False
        return self._markup

    async def show(self, message: dict[str, Any]) -> None:
        notice = render.notice(message, await self._body_markup())
        if notice is None:
            receipt = message.get("receipt")
            if receipt and message.get("acked"):  # acknowledged elsewhere: stop showing it
                await self._clear(f"receipt:{receipt}")
            return
        await self._clear(notice.key)  # a re-alert replaces the earlier notification
        icon = await self.assets.icon(notice.icon)
        image = message.get("attachment_file")
        sent = asyncio.Event()
        buttons = [Button("Acknowledge", on_pressed=self._later(self._acknowledge, notice))] \
            if notice.receipt else []
        identifier = await self.notifier.send(
            title=notice.title, message=notice.body, urgency=URGENCY[notice.urgency],
            icon=Icon(path=icon) if icon else None, buttons=buttons,
            on_clicked=self._later(self._open, notice) if notice.url else None,
            on_dispatched=sent.set,
            attachment=Attachment(path=Path(image)) if isinstance(image, str) else None,
            timeout=0 if notice.urgency == "critical" else -1,  # 0: until dismissed
        )
        if sent.is_set():
            self.shown[notice.key] = identifier
        else:
            self._markup = None  # the service may be back later, perhaps another one
            self._print(notice, message)
        if notice.sound:
            path = await self.assets.sound(notice.sound, message.get("aid"))
            if path is not None:
                await sounds.play(path, self.background)

    async def _clear(self, key: str) -> None:
        identifier = self.shown.pop(key, None)
        # The person may have closed it, or pressed one of its buttons, since: then it is gone
        # already (and desktop-notifier would raise KeyError for it).
        if identifier is not None and \
                identifier in await self.notifier.get_current_notifications():
            await self.notifier.clear(identifier)

    def _later(self, action: Callable[[render.Notice], Coroutine[Any, Any, None]],
               notice: render.Notice) -> Callable[[], None]:
        """A callback for desktop-notifier (plain functions) that runs `action` as a task."""

        def run() -> None:
            task = asyncio.get_running_loop().create_task(action(notice))
            self.background.add(task)
            task.add_done_callback(self.background.discard)

        return run

    async def _acknowledge(self, notice: render.Notice) -> None:
        assert notice.receipt is not None
        try:
            await self.client.acknowledge(self.login.secret, self.login.device_id,
                                          notice.receipt)
        except (ApiError, httpx.HTTPError) as exc:
            log.warning("acknowledging %s failed: %s", notice.receipt, exc)
            await self.notifier.send(title=f"Not acknowledged: {notice.title}",
                                     message=f"The server said: {exc}", urgency=Urgency.Critical)
            return
        self.shown.pop(notice.key, None)
        log.info("acknowledged %s", notice.receipt)

    async def _open(self, notice: render.Notice) -> None:
        opener = shutil.which("xdg-open")
        if opener is None or notice.url is None:
            log.warning("cannot open %s: xdg-open is not installed", notice.url)
            return
        proc = await asyncio.create_subprocess_exec(
            opener, notice.url, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await proc.wait()

    def _print(self, notice: render.Notice, message: dict[str, Any]) -> None:
        if not self._warned:
            self._warned = True
            log.warning("no desktop notification service answers on the session bus; "
                        "showing messages here instead")
        self.out.write(f"{notice.title}: {render.body_of(message, with_markup=False)}\n")
        self.out.flush()
