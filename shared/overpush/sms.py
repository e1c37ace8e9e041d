"""The SMS seam: one HTTP provider in the style of common SMS APIs (form POST, token auth)."""

from __future__ import annotations

import logging
from typing import Protocol

import httpx

from overpush.settings import Settings

log = logging.getLogger(__name__)


class SmsProvider(Protocol):
    async def send(self, to: str, body: str) -> bool:
        """True when the provider accepted the message (a 2xx answer)."""
        ...


class HttpSmsProvider:
    """POSTs `to`, `from` and `body` (names from OVERPUSH_SMS_FIELDS, e.g. "To,From,Body"
    for Twilio's Messages resource) as a form, with a bearer token or HTTP basic auth."""

    def __init__(self, settings: Settings) -> None:
        self._url = settings.sms_url
        self._from = settings.sms_from
        names = [n.strip() for n in settings.sms_fields.split(",")]
        self._to_f, self._from_f, self._body_f = (names + ["to", "from", "body"][len(names):])[:3]
        self._headers = {"Authorization": f"Bearer {settings.sms_token}"} \
            if settings.sms_token else {}
        self._auth = httpx.BasicAuth(settings.sms_username, settings.sms_password) \
            if settings.sms_username else None
        self._timeout = settings.push_timeout

    async def send(self, to: str, body: str) -> bool:
        form = {self._to_f: to, self._body_f: body}
        if self._from:
            form[self._from_f] = self._from
        try:
            async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as http:
                r = await http.post(self._url, data=form, headers=self._headers,
                                    auth=self._auth or httpx.USE_CLIENT_DEFAULT)
        except httpx.HTTPError as exc:
            log.warning("SMS provider unreachable: %s", exc)
            return False
        if not r.is_success:
            log.warning("SMS provider answered %d: %s", r.status_code, r.text[:200])
        return r.is_success


def provider_of(settings: Settings) -> SmsProvider | None:
    return HttpSmsProvider(settings) if settings.sms_url else None
