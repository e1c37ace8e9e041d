"""Glance updates are limited per application (issue 14, item 16): a burst, then a steady
rate, on a clock the test moves; over it 429 with Retry-After, and another application of the
same sender is not affected. Both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from overpush.clock import FixedClock
from overpush.settings import Settings

from testkit.servers import running
from tests.checks import error_body
from tests.factories import make_app, make_user, user_with_device


async def test_glances_are_rate_limited_per_application(settings: Settings) -> None:
    clock = FixedClock(datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    limited = settings.model_copy(update={"glance_rate_burst": 3,
                                          "glance_rate_per_minute": 6.0})
    async with running(limited, clock=clock) as server, httpx.AsyncClient(timeout=10) as http:
        url = f"http://{limited.http_host}:{limited.http_port}/1/glances.json"
        owner = await make_user(server.rt)
        first, second = await make_app(server.rt, owner, "One"), await make_app(server.rt, owner,
                                                                                "Two")
        base_url = f"http://{limited.http_host}:{limited.http_port}"
        user = (await user_with_device(server.rt, base_url, http)).user_key

        async def glance(token: str) -> httpx.Response:
            return await http.post(url, data={"token": token, "user": user, "count": "1"})

        for _ in range(3):
            assert (await glance(first)).status_code == 200
        r = await glance(first)
        error_body(r, 429, ["too many glance updates from this application; slow down"],
                   token="throttled")
        assert r.headers["retry-after"] == "10"
        assert (await glance(second)).status_code == 200  # per application
        clock.advance(10)  # one more token at 6 a minute
        assert (await glance(first)).status_code == 200
        assert (await glance(first)).status_code == 429
        # A bad token is refused as before, without touching any bucket.
        error_body(await glance("x" * 30), 400, ["application token is invalid"],
                   token="invalid")
