"""Downloading: on each `!`, fetch the queue, show what is new, then delete it on the server."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, Protocol, TextIO

from overpush_desktop.api import OpenClient
from overpush_desktop.assets import Assets
from overpush_desktop.config import Login
from overpush_desktop.e2ee import decrypt_message

REMEMBER = 10_000  # message ids kept for deduplication


class Shower(Protocol):
    async def show(self, message: dict[str, Any]) -> None: ...

    async def aclose(self) -> None: ...


class Printer:
    """`listen --print`: each message as one JSON line, for scripts and tests."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def show(self, message: dict[str, Any]) -> None:
        self.out.write(json.dumps(message, ensure_ascii=False, sort_keys=True) + "\n")
        self.out.flush()

    async def aclose(self) -> None:
        pass


class Inbox:
    def __init__(self, client: OpenClient, login: Login, key: bytes | None, assets: Assets,
                 shower: Shower) -> None:
        self.client, self.login, self.key = client, login, key
        self.assets, self.shower = assets, shower
        self.seen: OrderedDict[int, None] = OrderedDict()

    async def sync(self) -> int:
        """Show the messages not shown before; returns how many. Delivery is at least once
        (a delete that failed, a second `!` racing the first), so ids already shown are
        skipped. The id is the per-device one, not `umid`: a re-alert of an emergency is a
        new id for the same message and must alert again."""
        messages = [m for m in await self.client.download(self.login.secret,
                                                          self.login.device_id)
                    if isinstance(m.get("id"), int)]
        fresh = 0
        for message in sorted(messages, key=lambda m: int(m["id"])):
            if message["id"] in self.seen:
                continue
            message = decrypt_message(message, self.key)
            if "attachment" in message:  # the server deletes it with the message
                path = await self.assets.attachment(message)
                if path is not None:
                    message["attachment_file"] = str(path)
            await self.shower.show(message)
            self._remember(message["id"])
            fresh += 1
        if messages:
            await self.client.delete_up_to(self.login.secret, self.login.device_id,
                                           max(int(m["id"]) for m in messages))
        return fresh

    def _remember(self, message_id: int) -> None:
        self.seen[message_id] = None
        while len(self.seen) > REMEMBER:
            self.seen.popitem(last=False)
