"""A message whose callback names an internal address in any IPv6 spelling is refused at
intake with Pushover's envelope, on both backends (issue 14, item 14)."""

from __future__ import annotations

import httpx
import pytest

from services.runner import Runner
from tests.checks import error_body
from tests.factories import Person


@pytest.mark.parametrize("callback", [
    "http://[::127.0.0.1]/",        # IPv4-compatible: ::/96, which is_global calls public
    "http://[::ffff:0:7f00:1]/",    # SIIT IPv4-translated
    "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/",  # Teredo
])
async def test_callback_to_an_embedded_internal_address_is_refused(
    server: Runner, http: httpx.AsyncClient, base_url: str, ann: Person, token: str,
    callback: str,
) -> None:
    r = await http.post(f"{base_url}/1/messages.json", data={
        "token": token, "user": ann.key, "message": "hi", "priority": "2", "retry": "30",
        "expire": "60", "callback": callback})
    error_body(r, 400, ["callback URL resolves to a private or internal address"],
               callback="invalid")
