"""Holding the /push WebSocket: log in, sync on `!`, reconnect on faults and `R` with
exponential backoff and jitter, and stop for good on `E` and `A`."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field

import httpx
import websockets

from overpush_desktop.api import ApiError, TooLarge
from overpush_desktop.config import Login
from overpush_desktop.inbox import Inbox

log = logging.getLogger(__name__)
OPEN_TIMEOUT = 15.0

# Exit statuses of `listen`, so a service manager can tell them apart.
REVOKED = 3
ELSEWHERE = 4

ADVICE = {
    REVOKED: "The server no longer accepts this device: it was deleted or disabled, or its "
             "login was revoked (a password or 2FA change, or a log-out). Log in again: "
             "overpush-desktop logout, then overpush-desktop login --server URL --email EMAIL.",
    ELSEWHERE: "This device was logged in from another session (another overpush-desktop "
               "listen with the same login, here or on another computer), so this one stops. "
               "Stop the other one, or run overpush-desktop login on each computer so each "
               "has its own device.",
}


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait before reconnect number `attempt` (1, 2, ...): exponential up to `cap`,
    half of it random ("equal jitter"), so a server restart is not met by every client at
    the same instant."""
    ceiling = min(cap, base * 2.0 ** max(0, attempt - 1))
    return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass
class Listener:
    login: Login
    ws_url: str
    inbox: Inbox
    base_delay: float = 1.0
    max_delay: float = 60.0
    rng: random.Random = field(default_factory=random.Random)
    _live: bool = False  # this connection logged in (the server said something)

    async def run(self) -> int:
        """Listen until told to stop; returns the exit status (REVOKED or ELSEWHERE)."""
        attempt = 0
        while True:
            self._live = False
            try:
                status = await self._session()
            except ApiError as exc:
                if exc.logged_out:
                    return REVOKED
                log.warning("server error: %s", exc)  # e.g. 503 while it starts: try again
            except (OSError, TimeoutError, websockets.WebSocketException, httpx.HTTPError,
                    TooLarge) as exc:
                log.warning("connection lost: %s", exc or type(exc).__name__)
            else:
                if status is not None:
                    return status
            # A connection that worked starts the backoff afresh; one that never did grows it.
            attempt = 1 if self._live else attempt + 1
            delay = backoff_delay(attempt, self.base_delay, self.max_delay, self.rng)
            log.info("reconnecting in %.1f s", delay)
            await asyncio.sleep(delay)

    async def _session(self) -> int | None:
        """One connection: None when it ended with `R` or a close, else the exit status."""
        async with websockets.connect(self.ws_url, open_timeout=OPEN_TIMEOUT,
                                      compression=None, max_size=1024) as ws:
            await ws.send(f"login:{self.login.device_id}:{self.login.secret}\n")
            async for frame in ws:
                self._live = True
                kind = frame[:1] if isinstance(frame, bytes) else frame[:1].encode()
                if kind == b"!":
                    shown = await self.inbox.sync()
                    log.debug("synced; %d new", shown)
                elif kind == b"R":
                    log.info("the server asked for a reconnect")
                    return None
                elif kind == b"E":
                    return REVOKED
                elif kind == b"A":
                    return ELSEWHERE
        log.info("the server closed the connection")
        return None
