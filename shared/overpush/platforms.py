"""The one table of platforms and their delivery channels; everything else reads it.

A *platform* is what a device is: its `os` code (`I`, `A`, `O`, the column `devices.os`), the
name the Licensing API and clients use for it (iOS, Android, Desktop), and whether it is a
phone app that registers a vendor token. A *channel* is how a queued message wakes one
device of a platform: the vendor that runs it, the format of the token or subscription the
device registers for it, whether the provider carries the message itself (a phone push) or
only tells the device to sync (a nudge), and the name of the provider that serves it. The
dispatcher maps provider names to provider instances (services/dispatcher/providers); this
module holds no client and imports nothing of ours.

A device is served by the first channel of its platform it qualifies for: one that needs no
token always qualifies, one that needs a token qualifies when the device registered one. A
device that qualifies for none (a phone without a token) falls to its platform's last
channel, whose provider refuses it (no push token), as a phone with a stale token is.

A new way to reach devices is one row here plus one provider module. Web Push is such a row:
not a new platform but a channel of desktop (`O`) devices that registered a push subscription
(overpush/webpush.py), placed before the WebSocket row and served by
`services/dispatcher/providers/webpush.py`. Desktops without a subscription keep the WebSocket
nudge; a desktop with one gets the Web Push and, for a page of it that is open, the nudge too
(`channels_for`). When the browser's push service says a subscription is gone, the desktop
loses the subscription, not its WebSocket (`token_optional`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    platform: str  # the os code of the devices it serves
    provider: str  # the provider's name; the dispatcher maps it to an instance
    label: str  # the service, as operators know it (logs)
    vendor: str  # who runs it, as device owners are told ("Apple told us ...")
    configured_by: str  # the settings that turn it on ("" when always on)
    token: re.Pattern[str] | None  # format of the token or subscription it needs, if any
    needs_token: bool  # a device without a token cannot be reached this way
    payload: bool  # the provider carries the message (phone push); else a nudge to sync
    # Whether it may carry a push that shows nothing (priority -2). Browsers must show every
    # push (Safari drops subscriptions that push silently): such a message only nudges.
    silent: bool = True


@dataclass(frozen=True)
class Platform:
    code: str  # devices.os, platform_licenses.platform
    name: str  # as the Licensing API spells it: validate.json `licenses`, assign.json `os`
    phone: bool  # an app that registers a vendor token; it may ask for end-to-end encryption
    channels: tuple[Channel, ...]  # in order of preference

    @property
    def license_flag(self) -> str:
        """The user JSON key that says whether this platform is licensed."""
        return f"is_{self.name.lower()}_licensed"


# APNs device tokens are 32 bytes in hex today; Apple says they may grow, so allow up to 100.
APNS_TOKEN = re.compile(r"^[0-9A-Fa-f]{64,200}$")
# FCM registration tokens are opaque (~150-200 chars of base64url plus ':').
FCM_TOKEN = re.compile(r"^[A-Za-z0-9_:.\-]{16,4096}$")

# A Web Push subscription as stored: "<https endpoint> <p256dh> <auth>", both keys base64url
# without padding (65 and 16 bytes); overpush/webpush.py makes and reads it.
ENDPOINT_MAX = 1024
SUBSCRIPTION = re.compile(
    rf"^https://[^\s]{{1,{ENDPOINT_MAX - 8}}} [A-Za-z0-9_-]{{87}} [A-Za-z0-9_-]{{22}}\Z")

IOS, ANDROID, DESKTOP = "I", "A", "O"
APNS = Channel(platform=IOS, provider="apns", label="APNs", vendor="Apple",
               configured_by="OVERPUSH_APNS_*", token=APNS_TOKEN, needs_token=True,
               payload=True)
FCM = Channel(platform=ANDROID, provider="fcm", label="FCM", vendor="Google",
              configured_by="OVERPUSH_FCM_*", token=FCM_TOKEN, needs_token=True, payload=True)
WEBPUSH = Channel(platform=DESKTOP, provider="webpush", label="Web Push",
                  vendor="the browser's push service", configured_by="OVERPUSH_VAPID_*",
                  token=SUBSCRIPTION, needs_token=True, payload=True, silent=False)
WEBSOCKET = Channel(platform=DESKTOP, provider="websocket", label="WebSocket", vendor="",
                    configured_by="", token=None, needs_token=False, payload=False)

PLATFORMS: dict[str, Platform] = {p.code: p for p in (
    Platform(code=IOS, name="iOS", phone=True, channels=(APNS,)),
    Platform(code=ANDROID, name="Android", phone=True, channels=(FCM,)),
    Platform(code=DESKTOP, name="Desktop", phone=False, channels=(WEBPUSH, WEBSOCKET)),
)}
CODES = tuple(PLATFORMS)


def channels() -> Iterator[Channel]:
    for platform in PLATFORMS.values():
        yield from platform.channels


def name_of(code: str) -> str:
    """The platform's name, or the code itself for one we do not know."""
    platform = PLATFORMS.get(code)
    return platform.name if platform else code


def platform_code(name: str) -> str | None:
    """"iOS"/"Android"/"Desktop" (any case) or the os code itself -> the os code."""
    clean = name.strip()
    if clean in PLATFORMS:
        return clean
    return next((p.code for p in PLATFORMS.values() if p.name.lower() == clean.lower()), None)


def is_phone(code: str) -> bool:
    platform = PLATFORMS.get(code)
    return platform is not None and platform.phone


def channel_for(code: str, has_token: bool) -> Channel | None:
    """The channel that serves a device of this platform (see the module docstring)."""
    platform = PLATFORMS.get(code)
    if platform is None:
        return None
    return next((c for c in platform.channels if has_token or not c.needs_token),
                platform.channels[-1])


def channels_for(code: str, has_token: bool) -> tuple[Channel, ...]:
    """Every channel a push to such a device goes to: its channel (`channel_for`) and, when
    that one carries the message, the platform's nudge channel as well, for a page of the
    device that is open (it shows the message; the browser's worker then shows nothing)."""
    first = channel_for(code, has_token)
    if first is None:
        return ()
    platform = PLATFORMS[code]
    nudges = [c for c in platform.channels if first.payload and not c.needs_token
              and not c.payload and c is not first]
    return (first, *nudges)


def token_optional(code: str) -> bool:
    """Whether a device of this platform is reached without a token too: then a token its
    vendor calls gone is dropped and the device stays enabled (a desktop without its push
    subscription still hears the WebSocket); otherwise the device is disabled (a phone)."""
    platform = PLATFORMS.get(code)
    return platform is not None and any(not c.needs_token for c in platform.channels)


def gone_vendor(code: str) -> str:
    """Who reports a platform's tokens gone, as owners are told ("Apple told us ...")."""
    platform = PLATFORMS.get(code)
    vendors = [c.vendor for c in platform.channels if c.needs_token] if platform else []
    return vendors[0] if vendors else "the push service"


def has_subscriptions(code: str) -> bool:
    """Whether devices of this platform may register a Web Push subscription."""
    platform = PLATFORMS.get(code)
    return platform is not None and WEBPUSH in platform.channels


def token_ok(code: str, token: str) -> bool:
    """Whether a registration's token (possibly empty) suits the platform: it must match one
    of its channels' formats when it is given or when every channel needs one."""
    platform = PLATFORMS.get(code)
    if platform is None:
        return False
    formats = [c.token for c in platform.channels if c.token is not None]
    if not formats or (not token and not all(c.needs_token for c in platform.channels)):
        return True
    return any(f.match(token) for f in formats)


def nudged() -> frozenset[str]:
    """The os codes of platforms whose devices hear WebSocket nudges."""
    return frozenset(c.platform for c in channels() if c.provider == WEBSOCKET.provider)
