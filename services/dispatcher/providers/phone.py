"""What a phone push carries, shared by APNs and FCM: content, shortening, encryption."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from overpush.crypto import seal
from overpush.delivery.alerting import Alert

MAX_PAYLOAD = 4096  # bytes: APNs' limit for alerts, and FCM's for a message's data
ELLIPSIS = "…"


@dataclass(frozen=True)
class PhoneMessage:
    token: str  # the APNs device token or FCM registration token
    device_id: str  # public id; also the encryption's associated data
    key: str | None  # the device's AES key when it asked for encryption
    message_id: int
    title: str
    body: str
    url: str | None
    badge: int  # messages waiting in the device's queue
    alert: Alert
    ttl: int | None  # seconds until the message expires (Pushover's ttl), None: no expiry
    attempts: int = 0  # tries counted so far: 0 for a first push, n for the n-th (claimed)
    # What a browser's notification shows besides (Web Push builds its payload from these).
    app: str = ""
    app_id: int = 0
    url_title: str | None = None
    html: bool = False
    sent_at: int = 0  # the message's `date`, Unix seconds
    receipt: str | None = None  # an emergency's receipt: acknowledged from the notification
    encrypted: bool = False  # end-to-end encrypted by the sender (encrypted=1): fields as sent
    attachment: str | None = None  # the image's URL (GET with secret and device_id)


def content(pm: PhoneMessage, body: str, truncated: bool) -> dict[str, str]:
    """The message fields as strings (FCM data must be strings), sealed when asked for.

    `trunc` tells the app the body was shortened: it downloads the whole message, which
    it does on every push anyway (the queue is the truth; a push is a wake-up with a preview).
    """
    clear = {"title": pm.title, "message": body}
    if pm.url:
        clear["url"] = pm.url
    fields = {"umid": str(pm.message_id)}
    if truncated:
        fields["trunc"] = "1"
    if pm.encrypted:  # the app opens the fields with the key its owner set, as downloads do
        fields["encrypted"] = "1"
    if pm.key is None:
        return {**fields, **clear}
    sealed = seal(pm.key, json.dumps(clear, ensure_ascii=False).encode(), pm.device_id.encode())
    return {**fields, "enc": sealed}


def fit(build: Callable[[str, bool], bytes], body: str, limit: int = MAX_PAYLOAD) -> bytes:
    """The payload `build(body, truncated)` makes, with the body shortened (by characters,
    so UTF-8 stays whole) until it fits in `limit` bytes."""
    whole = build(body, False)
    if len(whole) <= limit:
        return whole
    low, high = 0, len(body)  # the longest prefix that fits lies in [low, high)
    while low < high:
        mid = (low + high + 1) // 2
        if len(build(body[:mid] + ELLIPSIS, True)) <= limit:
            low = mid
        else:
            high = mid - 1
    return build(body[:low] + ELLIPSIS, True)
