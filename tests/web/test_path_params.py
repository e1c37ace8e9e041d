"""No path parameter can make a 5xx: every route of the application (pages and API, found from
the application itself, so a new route is covered the day it is added) is asked with hostile
values in each of its path parameters, signed in and with working credentials."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
from fastapi.routing import APIRoute

from services.api.app import create_app
from services.runner import Runner
from testkit.device import DesktopDevice
from tests.factories import Account, make_app
from tests.web.helpers import PASSWORD, VIEWER, Browser

# Already percent-encoded, as they travel in the request line.
HOSTILE = (
    "99999999999999999999999",   # beyond BIGINT: SQLite OverflowError, PostgreSQL DataError
    "9223372036854775808",       # BIGINT's maximum plus one
    "-1",
    "%C2%B2",                    # "²": str.isdigit() says yes, int() says no
    "%D9%A1",                    # an Arabic-Indic digit
    "%00",                       # PostgreSQL cannot hold NUL in text
    "%FF",                       # not UTF-8
    "x" * 3000,
)
# A plausible value for the other parameters of a route, so the hostile one gets as far as it can.
PLAUSIBLE = {"action": "delete", "filename": "alert.mp3", "name": "1.png", "icon": "1"}
PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


def _paths(template: str) -> list[str]:
    names = PARAM.findall(template)
    out = []
    for name in names:
        for value in HOSTILE:
            out.append(PARAM.sub(lambda m, n=name, v=value: v if m.group(1) == n  # type: ignore[misc]
                                 else PLAUSIBLE.get(m.group(1), "1"), template))
    return out


def _routes(routes: Iterable[object]) -> Iterator[APIRoute]:
    """Every route, also inside included routers (FastAPI keeps those as one entry each)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _routes(inner.routes)
        elif isinstance(route, APIRoute):
            yield route


async def test_no_path_parameter_makes_a_5xx(signed_in: Browser, server: Runner,
                                             base_url: str, mail_dir: Path) -> None:
    token = await make_app(server.rt, Account(VIEWER, ""), "Probe")
    device = DesktopDevice(base_url, VIEWER, PASSWORD, name="probe")
    async with httpx.AsyncClient(timeout=20) as http:
        await device.login(http)
        await device.register(http)
    creds = {"token": token, "user": device.user_key, "secret": device.secret,
             "device_id": device.device_id, "csrf": await signed_in.csrf("/")}
    routes = [r for r in _routes(create_app(server.rt).routes) if PARAM.search(r.path)]
    assert len(routes) >= 20, [r.path for r in routes]  # pages and API both found
    # Signed in and with credentials, each request gets as far as its path parameter lets it
    # (anonymous, the pages stop at the log-in redirect and the API at the token check).
    failures = []
    for route in routes:
        for path in _paths(route.path):
            for method in sorted(route.methods or ()):
                r = await signed_in.http.request(
                    method, path, params=creds if method == "GET" else None,
                    data=creds if method == "POST" else None)
                if r.status_code >= 500:
                    failures.append((method, path[:80], r.status_code))
    assert failures == []
    # And the server is still well after all of that.
    assert (await signed_in.get("/")).status_code == 200
