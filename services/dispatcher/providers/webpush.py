"""Browsers through their push service: Web Push (RFC 8030), the body encrypted for the
browser (RFC 8291, aes128gcm, by http_ece) and signed for by our VAPID key (RFC 8292, by
py_vapid), sent with httpx.

The payload is JSON the service worker shows: the message's fields as the Open Client API
names them (`umid`, `title`, `message`, `app`, `aid`, `priority`, `date`, `sound`, `url`,
`url_title`, `html`, `attachment`, `receipt`, `encrypted`, `badge`, `realert`). When it would
not fit in 4096 bytes once encrypted, or the push service answers 413, the short form goes
instead: `umid`, `priority`, `date`, `receipt`, `encrypted`, `badge`, `realert` and
`"short": 1`; the worker then downloads the message. Endpoints are checked as callbacks are
(https, public addresses unless OVERPUSH_CALLBACK_ALLOW_PRIVATE) at every send, and connected
to at the address that was checked.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import ssl
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import certifi
import http_ece
import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from overpush import callbacks, platforms, webpush
from overpush.clock import monotonic
from overpush.delivery.push import Outcome, PhoneMessage, Push, Result
from overpush.runtime import Runtime
from py_vapid import Vapid02

from services.dispatcher.providers.base import retry_after_seconds, unsendable

log = logging.getLogger(__name__)
MAX_BODY = 4096  # what push services accept, encrypted
URGENCY = {-1: "low", 0: "normal", 1: "high", 2: "high"}
TOKEN_LIFETIME = 12 * 3600  # VAPID tokens may live 24 h; renewed an hour before they end
ADDRESS_LIFETIME = 60.0  # seconds a checked address of a push service is reused
MAX_CLIENTS = 32  # connection pools kept, one per push service host and address


def urgency(priority: int) -> str:
    return URGENCY.get(priority, "high" if priority > 2 else "low")


def topic(message_id: int) -> str:
    """One Topic per message (at most 32 base64url characters): a re-alert or a retry of it
    replaces an undelivered earlier push instead of stacking up."""
    return f"overpush-{message_id}"


def ttl_seconds(pm: PhoneMessage, default: int) -> int:
    return default if pm.ttl is None else max(pm.ttl, 0)


def payload(push: Push, pm: PhoneMessage, short: bool = False) -> dict[str, Any]:
    """What the service worker shows; `short` only says which message to download."""
    out: dict[str, Any] = {"umid": pm.message_id, "umid_str": str(pm.message_id),
                           "priority": push.priority, "date": pm.sent_at, "badge": pm.badge}
    if pm.receipt:
        out["receipt"] = pm.receipt
    if pm.encrypted:
        out["encrypted"] = 1
    if push.realert:
        out["realert"] = 1
    if short:
        return {**out, "short": 1}
    out.update(title=pm.title, message=pm.body, app=pm.app, aid=pm.app_id,
               icon=str(pm.app_id), html=int(pm.html))
    if pm.alert.sound:
        out["sound"] = pm.alert.sound
    if pm.url:
        out["url"] = pm.url
        if pm.url_title:
            out["url_title"] = pm.url_title
    if pm.attachment:
        out["attachment"] = pm.attachment
    return out


def encrypt(plain: bytes, sub: webpush.PushSubscription) -> bytes:
    """RFC 8291: a fresh sender key pair and salt per message (http_ece puts both in the
    aes128gcm header); only the browser holding the subscription's private key can read it."""
    sender = ec.generate_private_key(ec.SECP256R1())
    body: bytes = http_ece.encrypt(
        plain, salt=os.urandom(16), private_key=sender, dh=webpush.unb64url(sub.p256dh),
        auth_secret=webpush.unb64url(sub.auth), version="aes128gcm")
    return body


def classify(status: int, retry_after: str | None, now: datetime | None = None) -> Result:
    """Sort a push service's answer into an Outcome (RFC 8030 section 5 and 8.4)."""
    if status in (200, 201, 202):
        return Result(Outcome.DELIVERED)
    if status in (404, 410):
        return Result(Outcome.GONE, reason=f"{status} subscription gone")
    if status == 429 or status >= 500:
        return Result(Outcome.RETRY, retry_after_seconds(retry_after, now or datetime.now(UTC)),
                      reason=str(status))
    return Result(Outcome.REJECTED, reason=str(status))



def trust() -> ssl.SSLContext:
    """Verified TLS: the CA bundle of SSL_CERT_FILE when set (a private push service, or the
    tests' own CA), else certifi's."""
    return ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE") or certifi.where())


class WebPushProvider:
    name = platforms.WEBPUSH.provider

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self._ssl = trust()
        self._limit = asyncio.Semaphore(max(rt.settings.webpush_concurrency, 1))
        self._vapid: Vapid02 | None = None
        self._signing = asyncio.Lock()
        self._tokens: dict[str, tuple[dict[str, str], float]] = {}  # aud -> header, renew at
        self._addresses: dict[tuple[str, int], tuple[str, float]] = {}  # -> ip, until
        self._clients: dict[tuple[str, int, str], httpx.AsyncClient] = {}

    @classmethod
    def from_runtime(cls, rt: Runtime) -> WebPushProvider | None:
        """Always on (the key pair is made when none is given), unless the operator's key or
        contact is unusable: then it is logged and browsers get no pushes."""
        if rt.settings.vapid_private_key:
            try:
                webpush.load_private(rt.settings.vapid_private_key)
            except ValueError as exc:
                log.error("OVERPUSH_VAPID_PRIVATE_KEY is unusable (%s): no Web Push", exc)
                return None
        if not webpush.subject_ok(webpush.subject(rt.settings)):
            log.error("OVERPUSH_VAPID_SUBJECT must be a mailto: or https: URL: no Web Push")
            return None
        return cls(rt)

    async def send(self, pushes: Sequence[Push]) -> list[Result]:
        return list(await asyncio.gather(*(self._guarded(p) for p in pushes)))

    async def _guarded(self, push: Push) -> Result:
        async with self._limit:
            try:
                return await asyncio.wait_for(self._one(push), self._rt.settings.push_timeout)
            except (TimeoutError, httpx.HTTPError, OSError, ssl.SSLError) as exc:
                return Result(Outcome.RETRY, reason=type(exc).__name__)

    async def _one(self, push: Push) -> Result:
        refused = unsendable(push)
        if refused is not None:
            return refused
        pm = push.phone
        assert pm is not None  # unsendable() refused pushes without one
        if push.priority <= -2:
            # Browsers must show every push, and Safari drops subscriptions that push
            # silently: the message waits in the queue for the next time /client opens.
            # (The platform row says so, and the dispatcher only nudges for it; this holds
            # whoever calls.)
            return Result(Outcome.REJECTED, reason="lowest priority: no Web Push")
        sub = webpush.from_token(pm.token)
        if sub is None:
            return Result(Outcome.GONE, reason="not a push subscription")
        try:
            target = webpush.endpoint_target(sub.endpoint)
            ip = await self._address(target)
        except callbacks.CallbackRefused as exc:
            refusal = "private" in str(exc)  # else it did not resolve: perhaps a DNS hiccup
            return Result(Outcome.REJECTED if refusal else Outcome.RETRY, reason=str(exc)[:60])
        status, retry_after = await self._post(target, ip, push, pm, sub, short=False)
        if status == 413:  # the service takes less than we thought: say which message only
            status, retry_after = await self._post(target, ip, push, pm, sub, short=True)
        result = classify(status, retry_after)
        if result.outcome is Outcome.REJECTED:
            log.error("push service rejected message %s for device %s: HTTP %s",
                      pm.message_id, pm.device_id, status)
        return result

    async def _post(self, target: callbacks.Target, ip: str, push: Push, pm: PhoneMessage,
                    sub: webpush.PushSubscription, short: bool) -> tuple[int, str | None]:
        def body_of(short_form: bool) -> bytes:
            plain = json.dumps(payload(push, pm, short_form), ensure_ascii=False).encode()
            return encrypt(plain, sub)

        body = body_of(short)
        if len(body) > MAX_BODY and not short:
            body = body_of(True)
        origin = f"https://{target.host_header}"
        headers = {
            **(await self._authorization(origin)),
            "Host": target.host_header, "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(ttl_seconds(pm, self._rt.settings.retention_days * 86400)),
            "Urgency": urgency(push.priority), "Topic": topic(pm.message_id),
        }
        netloc = f"[{ip}]" if ":" in ip else ip
        client = await self._client(target, ip)
        async with client.stream(
            "POST", f"https://{netloc}:{target.port}{target.path}", content=body,
            headers=headers, extensions={"sni_hostname": target.host},
        ) as response:  # the answer's body is never read
            return response.status_code, response.headers.get("retry-after")

    async def _authorization(self, origin: str) -> dict[str, str]:
        """`vapid t=<JWT>, k=<public key>` for this push service, reused until an hour before
        it ends. Expiry is wall-clock time: the push service checks it against its own."""
        async with self._signing:  # pushes in flight together share one token
            cached = self._tokens.get(origin)
            if cached is not None and time.time() < cached[1]:
                return cached[0]
            if self._vapid is None:
                self._vapid = Vapid02.from_pem((await webpush.private_pem(self._rt)).encode())
            expires = int(time.time()) + TOKEN_LIFETIME
            header: dict[str, str] = self._vapid.sign(
                {"aud": origin, "sub": webpush.subject(self._rt.settings), "exp": expires})
            self._tokens[origin] = (header, expires - 3600)
            return header

    async def _address(self, target: callbacks.Target) -> str:
        """The push service's checked address, looked up again after ADDRESS_LIFETIME."""
        key = (target.host, target.port)
        cached = self._addresses.get(key)
        if cached is not None and monotonic() < cached[1]:
            return cached[0]
        ip = str(await callbacks.resolve(target, self._rt.settings.callback_allow_private))
        self._addresses[key] = (ip, monotonic() + ADDRESS_LIFETIME)
        return ip

    async def _client(self, target: callbacks.Target, ip: str) -> httpx.AsyncClient:
        """A pool per host and checked address: a connection made for one host is never
        reused for another that happens to share its address."""
        key = (target.host, target.port, ip)
        client = self._clients.get(key)
        if client is None:
            if len(self._clients) >= MAX_CLIENTS:  # addresses changed often: start afresh
                await self._clients.pop(next(iter(self._clients))).aclose()
            client = httpx.AsyncClient(
                verify=self._ssl, trust_env=False, follow_redirects=False,
                timeout=self._rt.settings.push_timeout,
                limits=httpx.Limits(max_connections=16, max_keepalive_connections=4))
            self._clients[key] = client
        return client

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()
