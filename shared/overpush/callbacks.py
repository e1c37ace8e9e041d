"""Callback URLs a sender supplies: syntax, an SSRF deny-list after resolution, a pinned POST.

notes/reliability.md §3.4: resolve the name, check *every* address against an explicit
deny-list (is_global alone misses NAT64 and 6to4 forms of loopback), connect to the vetted
address with the original Host header and TLS SNI, never follow redirects, and use a fresh
connection per callback (httpx pools by origin, so a shared client could reuse a connection
made for another host).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

URL_MAX = 512
IP = ipaddress.IPv4Address | ipaddress.IPv6Address

DENY = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
    "172.16.0.0/12", "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4",
    "240.0.0.0/4", "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48",
    "2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
    # Every other IPv6 form that carries an IPv4 address or reaches one through a
    # translator: IPv4-compatible (::/96, e.g. [::127.0.0.1], which is_global calls public),
    # SIIT IPv4-translated (::ffff:0:0:0/96), Teredo (2001::/32, inside the IETF block
    # 2001::/23), discard-only (100::/64), and the reserved blocks a routed host never is:
    # documentation (2001:db8::/32, 3fff::/20), SRv6 SIDs (5f00::/16) and site-local fec0::/10.
    "::/96", "::ffff:0:0:0/96", "2001::/23", "100::/64", "2001:db8::/32", "3fff::/20",
    "5f00::/16", "fec0::/10",
)]


class CallbackRefused(Exception):
    """The URL is malformed, does not resolve, or resolves to an address we will not call."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as the sender wrote them

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"


def parse(url: str) -> Target:
    """Syntax only: http(s), a host, no credentials, a sane length."""
    if len(url) > URL_MAX or any(c.isspace() for c in url):
        raise CallbackRefused("callback URL is too long or contains spaces")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise CallbackRefused(f"callback URL is malformed: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise CallbackRefused("callback must be an http or https URL with a host name")
    if parts.username is not None or parts.password is not None:
        raise CallbackRefused("callback URL must not contain credentials")
    if len(parts.hostname) > 253:
        raise CallbackRefused("callback host name is too long")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80),
                  path)


def allowed(ip: IP) -> bool:
    """True for an address a callback may be sent to: public unicast only."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return allowed(ip.ipv4_mapped)
    if any(ip in net for net in DENY):
        return False
    return ip.is_global


async def resolve(target: Target, allow_private: bool, timeout: float = 5.0) -> IP:
    """The address to connect to, after checking every address the name resolves to."""
    try:
        ip: IP = ipaddress.ip_address(target.host)
        ips: set[IP] = {ip}
    except ValueError:
        loop = asyncio.get_running_loop()
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM), timeout
            )
        except (OSError, TimeoutError):
            raise CallbackRefused(f"callback host {target.host} does not resolve") from None
        ips = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    if not ips:
        raise CallbackRefused(f"callback host {target.host} does not resolve")
    if not allow_private and not all(allowed(ip) for ip in ips):
        raise CallbackRefused("callback URL resolves to a private or internal address")
    return sorted(ips, key=str)[0]


async def vet(url: str, allow_private: bool) -> Target:
    target = parse(url)
    await resolve(target, allow_private)
    return target


async def post(url: str, form: Mapping[str, str], *, allow_private: bool,
               timeout: float = 5.0, verify: ssl.SSLContext | bool = True,
               content: bytes | None = None, headers: Mapping[str, str] | None = None) -> int:
    """POST `form` (or, given, the bytes `content` with `headers`) to `url` at a vetted
    address; returns the HTTP status (no redirects).

    Raises CallbackRefused when the URL no longer passes the checks (DNS may have changed
    since the message was sent) and httpx.HTTPError when the receiver cannot be reached.
    """
    target = parse(url)
    ip = await resolve(target, allow_private, timeout)
    netloc = f"[{ip}]" if ip.version == 6 else str(ip)
    pinned = f"{target.scheme}://{netloc}:{target.port}{target.path}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    async with httpx.AsyncClient(
        follow_redirects=False, timeout=timeout, trust_env=False, verify=verify,
        limits=httpx.Limits(max_keepalive_connections=0),
    ) as client, client.stream(
        "POST", pinned, data=dict(form) if content is None else None, content=content,
        headers={**(headers or {}), "Host": target.host_header},
        extensions=extensions,
    ) as response:
        # The body is never read: a receiver cannot make us download anything.
        return response.status_code


async def attempt(url: str, form: Mapping[str, str], *, allow_private: bool,
                  timeout: float = 5.0, content: bytes | None = None,
                  headers: Mapping[str, str] | None = None) -> tuple[str | None, bool]:
    """One `post`, as the callback loops record it: (None, True) when the receiver took it
    (2xx), else (the error in words, whether to try again). A URL that no longer passes the
    checks is not retried: the name now points somewhere we never call."""
    try:
        status = await post(url, form, allow_private=allow_private, timeout=timeout,
                            content=content, headers=headers)
    except CallbackRefused as exc:
        return str(exc), False
    except (httpx.HTTPError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}", True
    return (None if 200 <= status < 300 else f"HTTP {status}"), True
