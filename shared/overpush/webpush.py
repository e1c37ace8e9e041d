"""Web Push (RFC 8030, 8291, 8292): the installation's VAPID key pair and a desktop's push
subscription, its rules and its SQL. The sending itself is the dispatcher's provider
(services/dispatcher/providers/webpush.py).

A subscription is what `PushSubscription.toJSON()` gives in a browser: the push service's
endpoint URL and two keys, `p256dh` (the browser's P-256 public key) and `auth` (a 16-byte
secret). It is stored as the desktop's `devices.push_token`, "<endpoint> <p256dh> <auth>", the
format of the platform table's Web Push row (platforms.SUBSCRIPTION), so that the dispatcher
routes a desktop with one to Web Push exactly as it routes a phone with a token to its vendor.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import callbacks, platforms
from overpush.db import insert_ignore
from overpush.errors import ApiError, E
from overpush.models import Device, VapidKey
from overpush.runtime import Runtime
from overpush.settings import Settings

ENDPOINT_MAX = platforms.ENDPOINT_MAX
AUTH_BYTES = 16
KEY_ROW = 1  # the one row of vapid_keys


@dataclass(frozen=True)
class PushSubscription:
    endpoint: str  # https URL of the browser's push service
    p256dh: str  # base64url, unpadded: the browser's public key (65 bytes, uncompressed)
    auth: str  # base64url, unpadded: the 16-byte authentication secret

    @property
    def token(self) -> str:
        """As stored in devices.push_token (matches platforms.SUBSCRIPTION)."""
        return f"{self.endpoint} {self.p256dh} {self.auth}"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    """Base64url with or without padding (browsers send it without); raises ValueError."""
    clean = text.strip().rstrip("=")
    if not clean or len(clean) > 200 or not clean.replace("-", "").replace("_", "").isalnum():
        raise ValueError("not base64url")
    try:
        return base64.urlsafe_b64decode(clean + "=" * (-len(clean) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


def from_token(token: str | None) -> PushSubscription | None:
    """The subscription stored in a push_token, or None when it is not one."""
    if not token or not platforms.SUBSCRIPTION.match(token):
        return None
    endpoint, p256dh, auth = token.split(" ")
    return PushSubscription(endpoint, p256dh, auth)


def endpoint_target(endpoint: str) -> callbacks.Target:
    """Syntax of a push service URL: https, a host, no credentials, at most ENDPOINT_MAX
    characters. Raises CallbackRefused (the same checks as a callback, only https)."""
    if len(endpoint) > ENDPOINT_MAX or any(c.isspace() for c in endpoint) or not endpoint:
        raise callbacks.CallbackRefused("endpoint is empty, too long or contains spaces")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise callbacks.CallbackRefused("endpoint is malformed") from None
    if parts.scheme != "https" or not parts.hostname or len(parts.hostname) > 253:
        raise callbacks.CallbackRefused("endpoint must be an https URL with a host name")
    if parts.username is not None or parts.password is not None:
        raise callbacks.CallbackRefused("endpoint must not contain credentials")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return callbacks.Target("https", parts.hostname, port or 443, path)


def check(endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """A subscription from the client's fields (syntax and keys; the address is checked by
    `vet`). Raises ApiError with the catalog entry for the field that is wrong."""
    try:
        endpoint_target(endpoint)
    except callbacks.CallbackRefused:
        raise ApiError.of(E.WEBPUSH_ENDPOINT_INVALID) from None
    try:
        point, secret = unb64url(p256dh), unb64url(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise ApiError.of(E.WEBPUSH_KEYS_INVALID) from None
    if len(point) != 65 or point[0] != 4 or len(secret) != AUTH_BYTES:
        raise ApiError.of(E.WEBPUSH_KEYS_INVALID)
    return PushSubscription(endpoint, b64url(point), b64url(secret))


async def vet(sub: PushSubscription, allow_private: bool) -> None:
    """The endpoint's host must resolve to public addresses only, as a callback's must
    (OVERPUSH_CALLBACK_ALLOW_PRIVATE lifts it for tests and private push services)."""
    try:
        await callbacks.resolve(endpoint_target(sub.endpoint), allow_private)
    except callbacks.CallbackRefused:
        raise ApiError.of(E.WEBPUSH_ENDPOINT_INVALID) from None


async def subscribe(session: AsyncSession, device: Device, sub: PushSubscription | None) -> None:
    """Store (or, with None, remove) a desktop's subscription. A subscription belongs to one
    browser profile: another device row holding it loses it (and keeps its WebSocket)."""
    if not platforms.has_subscriptions(device.os):
        raise ApiError.of(E.WEBPUSH_NOT_DESKTOP)
    device.push_token = sub.token if sub else None
    if device.enabled:  # a fresh subscription answers an earlier "gone" notice
        device.disabled_at = device.disabled_reason = device.disabled_notified_at = None
    if sub is not None:
        await session.execute(
            update(Device)
            .where(Device.os == device.os, Device.push_token == sub.token,
                   Device.id != device.id)
            .values(push_token=None))


# The VAPID key pair ---------------------------------------------------------------------------

def new_private_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def load_private(pem: str) -> ec.EllipticCurvePrivateKey:
    """The P-256 private key of a PEM text; raises ValueError for anything else."""
    key = serialization.load_pem_private_key(pem.strip().encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("the VAPID key must be an EC P-256 (prime256v1) private key")
    return key


def public_key(pem: str) -> str:
    """The application server key a browser subscribes with: base64url of the uncompressed
    P-256 point (65 bytes), as `pushManager.subscribe({applicationServerKey})` takes it."""
    point = load_private(pem).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(point)


def subject(settings: Settings) -> str:
    """The `sub` claim of every VAPID token: the operator's, else the https public URL, else
    mailto: the sender address of our mail."""
    if settings.vapid_subject:
        return settings.vapid_subject
    if settings.https:
        return settings.public_url.rstrip("/")
    address = settings.mail_from.rsplit("<", 1)[-1].rstrip(">").strip()
    return f"mailto:{address}"


def subject_ok(value: str) -> bool:
    return value.startswith(("mailto:", "https://")) and len(value) > 8 and " " not in value


async def private_pem(rt: Runtime) -> str:
    """The installation's VAPID private key: the operator's (OVERPUSH_VAPID_PRIVATE_KEY), else
    the one in the database, made by whichever replica asks first (the insert is idempotent,
    so two replicas racing keep one key)."""
    if rt.settings.vapid_private_key:
        return rt.settings.vapid_private_key
    async with rt.sessions() as session, session.begin():
        pem = await session.scalar(select(VapidKey.private_pem).where(VapidKey.id == KEY_ROW))
        if pem is None:
            await session.execute(insert_ignore(session, VapidKey, [{
                "id": KEY_ROW, "private_pem": new_private_pem(), "created_at": rt.clock.now(),
            }], ["id"]))
            pem = await session.scalar(
                select(VapidKey.private_pem).where(VapidKey.id == KEY_ROW))
    assert pem is not None
    return pem
