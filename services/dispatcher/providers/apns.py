"""iOS through Apple's push service (HTTP/2, token auth) with aioapns."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aioapns import APNs, NotificationRequest, PushType
from aioapns.common import NotificationResult
from aioapns.connection import APNsProductionClientProtocol
from aioapns.exceptions import ConnectionClosed, ConnectionError, MaxAttemptsExceeded
from overpush import platforms
from overpush.delivery.push import Outcome, PhoneMessage, Push, Result
from overpush.settings import Settings

from services.dispatcher.providers.base import unsendable
from services.dispatcher.providers.phone import content, fit

log = logging.getLogger(__name__)
# Apple's answers that mean the token will never work again: stop using it (sygnal's set,
# less TopicDisallowed, which is our configuration, not the device).
GONE_REASONS = frozenset({"Unregistered", "ExpiredToken", "BadDeviceToken",
                          "DeviceTokenNotForTopic"})


def classify(status: str, reason: str | None) -> Result:
    """Sort one APNs answer into an Outcome (reliability notes, section 2.1)."""
    reason = reason or ""
    if status == "200":
        return Result(Outcome.DELIVERED)
    if status == "410" or reason in GONE_REASONS:
        return Result(Outcome.GONE, reason=reason or "Unregistered")
    if status in ("429", "500", "503"):
        return Result(Outcome.RETRY, reason=reason or status)
    return Result(Outcome.REJECTED, reason=f"{status} {reason}".strip())


def payload(pm: PhoneMessage) -> dict[str, Any]:
    """The JSON Apple carries, under its 4 KB limit: a long body is shortened."""
    def build(body: str, truncated: bool) -> bytes:
        return json.dumps(_aps(pm, body, truncated), ensure_ascii=False).encode()

    return dict(json.loads(fit(build, pm.body)))


def _aps(pm: PhoneMessage, body: str, truncated: bool) -> dict[str, Any]:
    fields = content(pm, body, truncated)
    if not pm.alert.visible:  # priority -2: wake the app to sync, show nothing
        return {"aps": {"content-available": 1, "badge": pm.badge}, "umid": fields["umid"]}
    aps: dict[str, Any] = {"badge": pm.badge, "interruption-level": pm.alert.level}
    if pm.key is None and not pm.encrypted:
        aps["alert"] = {"title": fields.pop("title"), "body": fields.pop("message")}
        fields.pop("url", None)
    else:  # sealed by us (the app's notification service extension decrypts `enc`), or the
        # sender's end-to-end ciphertext: never shown as it is
        aps["alert"] = {"title": "New message", "body": "(encrypted)"}
        aps["mutable-content"] = 1
    if pm.alert.sound and pm.alert.sound != "vibrate":
        aps["sound"] = f"{pm.alert.sound}.caf"  # sound files bundled with the app
    return {"aps": aps, **fields}


def request(pm: PhoneMessage) -> NotificationRequest:
    return NotificationRequest(
        device_token=pm.token,
        message=payload(pm),
        # apns-id stays aioapns' random uuid4: it keys its in-flight requests by it, so two
        # pushes with one id at once would cross their answers.
        time_to_live=pm.ttl,
        priority=10 if pm.alert.urgent else 5,  # 5 is required for background pushes
        # One collapse id per message: a retried push replaces the first, never stacks.
        collapse_key=f"overpush-{pm.message_id}",
        push_type=PushType.ALERT if pm.alert.visible else PushType.BACKGROUND,
    )


class ApnsProvider:
    name = platforms.APNS.provider

    def __init__(self, client: APNs, timeout: float) -> None:
        self._client = client
        self._timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> ApnsProvider | None:
        """None when APNs is not configured. Call with the event loop running (aioapns
        binds its pool to the current loop)."""
        key = settings.apns_key or (
            Path(settings.apns_key_file).read_text() if settings.apns_key_file else "")
        if not (key and settings.apns_key_id and settings.apns_team_id and settings.apns_topic):
            return None
        ctx = ssl.create_default_context(cafile=settings.apns_ca_file or None)
        ctx.set_alpn_protocols(["h2"])
        client = APNs(key=key, key_id=settings.apns_key_id, team_id=settings.apns_team_id,
                      topic=settings.apns_topic, use_sandbox=settings.apns_sandbox,
                      ssl_context=ctx, max_connection_attempts=2, err_func=_quiet)
        if settings.apns_host:
            # aioapns has no URL option: a protocol subclass is its seam (notes, 2.2).
            client.pool.protocol_class = type("OtherApns", (APNsProductionClientProtocol,), {
                "APNS_SERVER": settings.apns_host, "APNS_PORT": settings.apns_port})
        return cls(client, settings.push_timeout)

    async def send(self, pushes: Sequence[Push]) -> list[Result]:
        return list(await asyncio.gather(*(self._one(p) for p in pushes)))

    async def _one(self, push: Push) -> Result:
        refused = unsendable(push)
        if refused is not None:
            return refused
        pm = push.phone
        assert pm is not None  # unsendable() refused pushes without one
        try:
            answer = await asyncio.wait_for(
                self._client.send_notification(request(pm)), self._timeout)
        except (TimeoutError, ConnectionError, ConnectionClosed, MaxAttemptsExceeded,
                OSError) as exc:
            return Result(Outcome.RETRY, reason=type(exc).__name__)
        result = classify(answer.status, answer.description)
        if result.outcome is Outcome.REJECTED:
            log.error("APNs rejected message %s for device %s: %s", pm.message_id,
                      pm.device_id, result.reason)
        return result

    async def close(self) -> None:
        self._client.pool.close()


async def _quiet(request: NotificationRequest, result: NotificationResult) -> None:
    """aioapns logs every non-200 at error level; we classify and log them ourselves."""
