"""The callback POST against real local servers: TLS to the vetted IP with the original name
(SNI and certificate check), and no redirects followed."""

from __future__ import annotations

import ssl

import pytest
import trustme
from overpush import callbacks

from tests.callback_receiver import Receiver

FORM = {"receipt": "r" * 30, "acknowledged": "1"}


async def test_https_callback_is_pinned_to_the_ip_and_verified_by_name() -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    async with Receiver(tls=server_ctx) as receiver:
        status = await callbacks.post(receiver.url, FORM, allow_private=True, verify=client_ctx)
        assert status == 200
        [got] = receiver.received
        assert got["receipt"] == "r" * 30 and got["_host"] == f"localhost:{receiver.port}"


async def test_redirects_are_not_followed() -> None:
    async with Receiver(fail_first=1, fail_status=302) as receiver:
        status = await callbacks.post(receiver.url, FORM, allow_private=True)
    assert status == 302 and receiver.answered == [302]


async def test_loopback_refused_at_call_time_without_the_setting() -> None:
    async with Receiver() as receiver:
        with pytest.raises(callbacks.CallbackRefused):
            await callbacks.post(receiver.url, FORM, allow_private=False)
        with pytest.raises(callbacks.CallbackRefused):
            await callbacks.post(f"http://localhost:{receiver.port}/", FORM, allow_private=False)
    assert receiver.answered == []
