"""Connection limits for the api's HTTP server: what uvicorn does not bound by itself.

uvicorn closes idle keep-alive connections, but nothing bounds a connection that never sends a
byte, a request head that arrives one line every 20 s, or a body that trickles in; and it
accepts connections until the process runs out of file descriptors, at which point /healthz
stops answering and asyncio logs "Too many open files" for every attempt. Here:

* a request head must be complete within `header_timeout` seconds of its first byte (or of
  the connection's start);
* a body must arrive at `body_min_rate` bytes a second or more, measured per `body_window`
  (a body the application is not reading, flow control paused, is not counted against it);
* a connection is refused, with a 503 and a close, when the process holds `total` connections
  or its client holds `per_client`; every connection already accepted keeps working. A
  client is the socket's peer; connections from the operator's trusted proxies are counted
  only in the total, so the Ingress is never capped as one client (behind it, the per-user
  WebSocket cap and the per-device rule bound what one person holds);
* WebSockets are counted from their upgrade until they close, as the HTTP connection they
  came from.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import resource
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from overpush.client_address import Network
from overpush.errors import ApiError, E
from overpush.ids import request_id
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from services.api.lean_ws import LeanWebSocket

log = logging.getLogger(__name__)
RESERVE = 256  # descriptors kept for the database, the broker, SMTP, files and the probes


@dataclass(frozen=True)
class Limits:
    header_timeout: float
    body_window: float
    body_min_rate: int
    per_client: int
    total: int
    trusted: tuple[Network, ...] = ()


def raise_descriptor_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit (the default soft limit is often 1024
    while the hard one is far higher); the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open-file limit from %d to %d: %s", soft, hard, exc)
    return soft


def total_cap(setting: int, soft_limit: int) -> int:
    """The connection cap of this process: the setting, but never so close to the descriptor
    limit that accepting, or opening anything else, could fail."""
    room = max(16, soft_limit - RESERVE) if soft_limit > RESERVE + 16 else max(4, soft_limit // 2)
    return min(setting, room) if setting > 0 else room


class Guard:
    """The counts of one server's connections, shared by its protocol objects."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.live: dict[int, str | None] = {}  # id(transport) -> client counted per client
        self.per_client: Counter[str] = Counter()
        self.refused = 0

    def admit(self, transport: asyncio.BaseTransport) -> bool:
        peer = transport.get_extra_info("peername")
        host = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        # A trusted proxy is never one client: its connections count in the total only.
        client = None if _trusted(host, self.limits.trusted) else host
        if len(self.live) >= self.limits.total or (
                client is not None and self.per_client[client] >= self.limits.per_client):
            self.refused += 1
            return False
        self.live[id(transport)] = client
        if client is not None:
            self.per_client[client] += 1
        return True

    def release(self, transport: asyncio.BaseTransport | None) -> None:
        if transport is None or id(transport) not in self.live:
            return
        client = self.live.pop(id(transport))
        if client is not None:
            self.per_client[client] -= 1
            if self.per_client[client] <= 0:
                del self.per_client[client]


def _trusted(host: str, trusted: tuple[Network, ...]) -> bool:
    """Whether the peer is one of the operator's proxies (overpush.client_address's rule:
    an IPv4-mapped IPv6 peer is its IPv4 address)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in trusted)


def _refusal() -> bytes:
    body = json.dumps(ApiError.of(E.UNAVAILABLE).body(request_id())).encode()
    return (b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n"
            b"retry-after: 5\r\nconnection: close\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\n\r\n" + body)


class GuardedHttp(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above (a subclass per server: `guard`)."""

    guard: ClassVar[Guard]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refused = False
        self._own: asyncio.BaseTransport | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._body_bytes = 0
        # Where the request being read stands. A timer is armed only when a read ends with
        # the head or the body unfinished: most requests arrive whole in one read, and two
        # timers made and cancelled per request showed in the profile under load.
        self._in_head = self._in_body = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self.guard.admit(transport):
            self._refused = True
            # A cast, not an isinstance check: uvloop's transports write but do not derive
            # from asyncio.WriteTransport.
            writer = cast(asyncio.WriteTransport, transport)
            writer.write(_refusal())
            writer.close()
            return
        self._own = transport
        super().connection_made(transport)  # type: ignore[arg-type]
        self._arm_head()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused:
            return
        self._cancel_timers()
        if not getattr(self, "_upgraded", False):
            self.guard.release(self._own)
        super().connection_lost(exc)

    def _cancel_timers(self) -> None:
        for timer in (self._head_timer, self._body_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._body_timer = None

    def _arm_head(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.guard.limits.header_timeout,
                                                    self._too_slow, "request head")

    def _too_slow(self, what: str) -> None:
        self._head_timer = self._body_timer = None
        log.debug("closing a connection whose %s was too slow", what)
        if not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._refused or getattr(self, "_upgraded", False) or self.transport.is_closing():
            return
        if self._in_head:
            self._arm_head()
        elif self._in_body and self._body_timer is None:
            self._body_timer = self.loop.call_later(self.guard.limits.body_window,
                                                    self._body_check)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True

    def on_headers_complete(self) -> None:
        self._in_head, self._in_body = False, True
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        self._body_bytes = 0
        super().on_headers_complete()

    def _body_check(self) -> None:
        window = self.guard.limits.body_window
        paused = getattr(self.flow, "read_paused", False)
        if not paused and self._body_bytes < self.guard.limits.body_min_rate * window:
            self._too_slow("request body")
            return
        self._body_bytes = 0
        self._body_timer = self.loop.call_later(window, self._body_check)

    def on_body(self, body: bytes) -> None:
        self._body_bytes += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._in_body = False
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        # From here the WebSocket protocol owns the transport, and releases it when it closes.
        self._upgraded = True
        self._cancel_timers()
        super().handle_websocket_upgrade()


class GuardedWebSocket(LeanWebSocket):
    guard: ClassVar[Guard]

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.release(getattr(self, "transport", None))
        super().connection_lost(exc)


def protocols(guard: Guard) -> tuple[type[GuardedHttp], type[GuardedWebSocket]]:
    """Protocol classes bound to one server's guard (uvicorn builds them with its own
    arguments, so the guard travels as a class attribute)."""
    http = type("ServerHttp", (GuardedHttp,), {"guard": guard})
    ws = type("ServerWebSocket", (GuardedWebSocket,), {"guard": guard})
    return http, ws


class OncePerInterval(logging.Filter):
    """asyncio logs every failed accept ("Too many open files"): keep one record per
    interval, saying how many were held back."""

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__()
        self.interval = interval
        self._last = -interval
        self._held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if "accept" not in record.getMessage():
            return True
        now = time.monotonic()
        if now - self._last < self.interval:
            self._held += 1
            return False
        if self._held:
            record.msg = f"{record.msg} ({self._held} more like this held back)"
        self._last, self._held = now, 0
        return True
