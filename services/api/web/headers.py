"""Security headers on every HTTP answer: a strict Content-Security-Policy and its companions.

One ASGI middleware sets them on pages, static files, API answers and errors alike. A route
that needs a wider policy (the subscribe page may redirect to the subscriber's site after its
form is sent; an API reference page may need its own allowances) sets its own
Content-Security-Policy header, built with `policy(extra)`; the middleware never overwrites a
header a route set.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No inline script or style anywhere: every script and stylesheet is a file under /static.
# 'self' in connect-src also allows same-origin ws:/wss: (CSP Level 3; the /client socket).
DIRECTIVES: dict[str, tuple[str, ...]] = {
    "default-src": ("'self'",),
    "script-src": ("'self'",),
    "style-src": ("'self'",),
    "img-src": ("'self'", "data:", "blob:"),
    "font-src": ("'self'",),
    "media-src": ("'self'",),
    "connect-src": ("'self'",),
    "worker-src": ("'self'",),
    "manifest-src": ("'self'",),
    "object-src": ("'none'",),
    "frame-ancestors": ("'none'",),
    "base-uri": ("'none'",),
    "form-action": ("'self'",),
}


def policy(extra: Mapping[str, tuple[str, ...]] | None = None) -> str:
    """The Content-Security-Policy value, with `extra` sources added to some directives
    (e.g. {"form-action": ("https://example.com",)})."""
    more = extra or {}
    return "; ".join(f"{name} {' '.join(sources + more.get(name, ()))}"
                     for name, sources in DIRECTIVES.items())


def security_headers(hsts_max_age: int) -> list[tuple[str, str]]:
    headers = [
        ("Content-Security-Policy", policy()),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if hsts_max_age > 0:
        headers.append(("Strict-Transport-Security", f"max-age={hsts_max_age}"))
    return headers


class SecurityHeaders:
    """Adds `security_headers` to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp, hsts_max_age: int = 0) -> None:
        self.app = app
        self.headers = security_headers(hsts_max_age)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
