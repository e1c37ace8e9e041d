"""A private DBus session bus, and a freedesktop notification service on it that records
each Notify call and can press a notification's buttons (as a person would)."""

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
from dbus_fast import Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusSignature
from dbus_fast.service import ServiceInterface, dbus_method, dbus_signal

from tests.needs import CI

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"

S = Annotated[str, DBusSignature("s")]
U = Annotated[int, DBusSignature("u")]
I32 = Annotated[int, DBusSignature("i")]
StrList = Annotated[list[str], DBusSignature("as")]
Hints = Annotated[dict[str, Variant], DBusSignature("a{sv}")]
ServerInfo = Annotated[list[str], DBusSignature("ssss")]
IdAndKey = Annotated[list[Any], DBusSignature("us")]
IdAndReason = Annotated[list[int], DBusSignature("uu")]


@dataclass
class Shown:
    """One Notify call."""

    id: int
    app_name: str
    icon: str
    title: str
    body: str
    actions: dict[str, str]  # key -> label
    hints: dict[str, Any]
    timeout: int

    @property
    def urgency(self) -> int:
        return int(self.hints["urgency"])


class Notifications(ServiceInterface):
    def __init__(self, capabilities: list[str]) -> None:
        super().__init__(NAME)
        self.capabilities = capabilities
        self.shown: list[Shown] = []
        self.closed: list[int] = []

    @dbus_method()
    def GetCapabilities(self) -> StrList:
        return self.capabilities

    @dbus_method()
    def GetServerInformation(self) -> ServerInfo:
        return ["overpush-test", "overpush", "1.0", "1.2"]

    @dbus_method()
    def Notify(self, app_name: S, replaces_id: U, app_icon: S, summary: S, body: S,
               actions: StrList, hints: Hints, expire_timeout: I32) -> U:
        nid = len(self.shown) + 1
        self.shown.append(Shown(nid, app_name, app_icon, summary, body,
                                dict(zip(actions[::2], actions[1::2], strict=True)),
                                {k: v.value for k, v in hints.items()}, expire_timeout))
        return nid

    @dbus_method()
    def CloseNotification(self, nid: U) -> None:
        self.closed.append(nid)
        self.NotificationClosed(nid, 3)

    @dbus_signal()
    def ActionInvoked(self, nid: U, action_key: S) -> IdAndKey:
        return [nid, action_key]

    @dbus_signal()
    def NotificationClosed(self, nid: U, reason: U) -> IdAndReason:
        return [nid, reason]

    def dismiss(self, shown: Shown) -> None:
        """Close it as a person does (reason 2, dismissed by the user)."""
        self.closed.append(shown.id)
        self.NotificationClosed(shown.id, 2)

    def press(self, shown: Shown, label: str) -> None:
        """Press the button labelled `label` ("" for the notification itself)."""
        key = next(k for k, v in shown.actions.items() if v == label)
        self.ActionInvoked(shown.id, key)


def need_dbus() -> str:
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        if CI:
            pytest.fail("dbus-daemon is missing; .ci/run installs it (apt-get install dbus)")
        pytest.skip("dbus-daemon is not installed (apt-get install dbus)")
    return daemon


@asynccontextmanager
async def session_bus() -> AsyncIterator[str]:
    """A private session bus (dbus-daemon --session); yields its address."""
    proc = await asyncio.create_subprocess_exec(
        need_dbus(), "--session", "--nofork", "--nopidfile", "--print-address=1",
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env={**os.environ})
    assert proc.stdout is not None
    address = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
    try:
        yield address
    finally:
        proc.terminate()
        await proc.wait()


@asynccontextmanager
async def notification_service(address: str, capabilities: list[str]
                               ) -> AsyncIterator[Notifications]:
    bus = await MessageBus(bus_address=address).connect()
    service = Notifications(capabilities)
    bus.export(PATH, service)
    await bus.request_name(NAME)
    try:
        yield service
    finally:
        bus.disconnect()
