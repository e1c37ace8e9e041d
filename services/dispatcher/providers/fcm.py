"""Android through Firebase Cloud Messaging, HTTP v1 API, with httpx."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from google.auth.exceptions import GoogleAuthError
from overpush import platforms
from overpush.delivery.push import Outcome, PhoneMessage, Push, Result
from overpush.settings import Settings

from services.dispatcher.providers.base import retry_after_seconds, unsendable
from services.dispatcher.providers.google_auth import AccessTokens
from services.dispatcher.providers.phone import content, fit

log = logging.getLogger(__name__)
MAX_TTL = 2_419_200  # 28 days, FCM's largest
QUOTA_BACKOFF = 60.0  # FCM: back off at least a minute after QUOTA_EXCEEDED


def classify(status: int, body: bytes, retry_after: str | None,
             now: datetime | None = None) -> Result:
    """Sort one FCM answer into an Outcome; decide on the FcmError code, not only the status."""
    if status == 200:
        return Result(Outcome.DELIVERED)
    code = _error_code(body)
    wait = retry_after_seconds(retry_after, now or datetime.now(UTC))
    if code == "UNREGISTERED" or status == 404:
        return Result(Outcome.GONE, reason=code or "404")
    if status == 429 or code == "QUOTA_EXCEEDED":
        return Result(Outcome.RETRY, max(wait or 0.0, QUOTA_BACKOFF), code or "429")
    if status >= 500 or status == 401:  # 401: our access token, renewed before the retry
        return Result(Outcome.RETRY, wait, code or str(status))
    return Result(Outcome.REJECTED, reason=f"{status} {code}".strip())


def _error_code(body: bytes) -> str:
    try:
        error = json.loads(body)["error"]
        for detail in error.get("details", []):
            if detail.get("errorCode"):
                return str(detail["errorCode"])
        return str(error.get("status", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""



def message(pm: PhoneMessage) -> dict[str, Any]:
    """A data message: the app builds the notification itself (sound, encryption, levels)."""
    alert = pm.alert
    meta = {"visible": "1" if alert.visible else "0", "sound": alert.sound or "",
            "level": alert.level, "badge": str(pm.badge)}

    def build(body: str, truncated: bool) -> bytes:
        return json.dumps({**content(pm, body, truncated), **meta},
                          ensure_ascii=False).encode()

    android: dict[str, Any] = {"priority": "HIGH" if alert.urgent else "NORMAL"}
    if pm.ttl is not None:
        android["ttl"] = f"{min(max(pm.ttl, 0), MAX_TTL)}s"
    return {"token": pm.token, "data": json.loads(fit(build, pm.body)), "android": android}


class FcmProvider:
    name = platforms.FCM.provider

    def __init__(self, http: httpx.AsyncClient, tokens: AccessTokens, project_id: str,
                 timeout: float) -> None:
        self._http = http
        self._tokens = tokens
        self._url = f"/v1/projects/{project_id}/messages:send"
        self._timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> FcmProvider | None:
        raw = settings.fcm_credentials or (
            Path(settings.fcm_credentials_file).read_text()
            if settings.fcm_credentials_file else "")
        if not raw:
            return None
        info = json.loads(raw)
        http = httpx.AsyncClient(base_url=settings.fcm_endpoint, timeout=settings.push_timeout)
        return cls(http, AccessTokens(info, settings.push_timeout), info["project_id"],
                   settings.push_timeout)

    async def send(self, pushes: Sequence[Push]) -> list[Result]:
        return list(await asyncio.gather(*(self._one(p) for p in pushes)))

    async def _one(self, push: Push) -> Result:
        refused = unsendable(push)
        if refused is not None:
            return refused
        pm = push.phone
        assert pm is not None  # unsendable() refused pushes without one
        try:
            token = await self._tokens.get()
            r = await self._http.post(self._url, json={"message": message(pm)},
                                      headers={"Authorization": f"Bearer {token}"})
        except (httpx.HTTPError, GoogleAuthError, OSError) as exc:
            return Result(Outcome.RETRY, reason=type(exc).__name__)
        if r.status_code == 401:
            self._tokens.invalidate()
        result = classify(r.status_code, r.content, r.headers.get("retry-after"))
        if result.outcome is Outcome.REJECTED:
            log.error("FCM rejected message %s for device %s: %s", pm.message_id,
                      pm.device_id, result.reason)
        return result

    async def close(self) -> None:
        await self._http.aclose()
