"""What a phone push carries, shared by APNs and FCM: content, shortening, encryption."""

from __future__ import annotations

import json
from collections.abc import Callable

from overpush.crypto import seal
from overpush.delivery.push import PhoneMessage

MAX_PAYLOAD = 4096  # bytes: APNs' limit for alerts, and FCM's for a message's data
ELLIPSIS = "…"


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
