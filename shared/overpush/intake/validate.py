"""Pure checks of a message request (spec §1.1): parameters in, a MessageDraft or errors out."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from overpush import callbacks
from overpush.apps import runs_code
from overpush.attachments import CheckedImage
from overpush.devices import DEVICE_NAME
from overpush.errors import ApiError, E, FieldError
from overpush.html import sanitize
from overpush.ids import is_key
from overpush.receipts import parse_tags

MAX_USERS = 50
MESSAGE_MAX = 1024
TITLE_MAX = 250
URL_MAX = 512
URL_TITLE_MAX = 100
# Built-in and custom sound names alike (spec §0); whether the name exists for the app is
# decided in accept, once the app is known.
SOUND_NAME = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
TRUE_VALUES = {"1", "true", "yes", "on"}
RETRY_MIN = 30
EXPIRE_MAX = 10800
TAG_MAX = 100
TAGS_MAX = 20
INTEGER = re.compile(r"^-?[0-9]{1,18}\Z")
# dedup_key: safe in a URL path (POST /1/dedup/{key}/resolve.json).
DEDUP_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,100}\Z")
DEDUP_WINDOW = 86400
DEDUP_WINDOW_MAX = 30 * 86400
SEND_AT_AHEAD_MAX = 30 * 86400


def ciphertext_max(limit: int) -> int:
    """The longest field Pushover's end-to-end encryption makes of `limit` characters:
    base64(IV(16) || AES-CBC(PKCS7(gzip(UTF-8))) || HMAC(32)), with UTF-8 at 4 bytes a
    character and gzip's worst case (stored blocks) under 64 bytes of overhead."""
    gzipped = 4 * limit + 64
    padded = (gzipped // 16 + 1) * 16
    return 4 * -(-(16 + padded + 32) // 3)


@dataclass(frozen=True)
class MessageDraft:
    token: str
    users: tuple[str, ...]
    message: str
    title: str | None = None
    devices: tuple[str, ...] = ()
    priority: int = 0
    sound: str | None = None
    url: str | None = None
    url_title: str | None = None
    timestamp: int | None = None
    html: bool = False
    monospace: bool = False
    ttl: int | None = None
    # Emergency priority (2) only: repeat interval, how long to repeat, callback URL, tags.
    retry: int | None = None
    expire: int | None = None
    callback: str | None = None
    tags: tuple[str, ...] = ()
    attachment: CheckedImage | None = None  # checked by the route (a worker thread)
    # Beyond Pushover's wire format (issue 17), all optional:
    encrypted: bool = False  # title, message, url, url_title are ciphertext, kept untouched
    send_at: int | None = None  # Unix seconds: hold the message until then
    dedup_key: str | None = None  # one open message per app, user value and key
    dedup_window: int = DEDUP_WINDOW  # seconds a dedup key stays open
    escalation: int | None = None  # an escalation policy's id (overpush.escalations)
    status_callback: str | None = None  # where status changes are POSTed, signed


def flag(value: str | None) -> bool:
    """Clients send 1/0, True/False (pushover-complete), true/false or nothing."""
    return (value or "").strip().lower() in TRUE_VALUES


def _int(value: str | None) -> int | None:
    if value is None or value.strip() == "":
        return None
    # ASCII digits only: int() would also take "1_000", "٣" and 4000-digit numbers.
    if not INTEGER.match(value.strip()):
        raise ValueError(value)
    return int(value.strip())


def parse_message(p: Mapping[str, str | None]) -> MessageDraft:
    """Check every parameter and report every problem at once, as Pushover does."""
    errors: list[FieldError] = []

    def err(spec: object, text: str | None = None) -> None:
        errors.append(FieldError(spec, text))  # type: ignore[arg-type]

    token = (p.get("token") or "").strip()
    if not is_key(token):
        err(E.TOKEN_INVALID)

    raw_users = (p.get("user") or "").strip()
    users = tuple(dict.fromkeys(u.strip() for u in raw_users.split(",") if u.strip()))
    if not users:
        err(E.USER_MISSING)
    elif len(users) > MAX_USERS:
        err(E.TOO_MANY_USERS)
    elif not all(is_key(u) for u in users):
        err(E.USER_INVALID)

    # Ciphertext cannot be checked as text: only its size is bounded (the bound of what
    # encrypting a field of the plaintext limit makes).
    encrypted = flag(p.get("encrypted"))
    bound = ciphertext_max if encrypted else (lambda limit: limit)
    message = p.get("message") or ""
    if not message.strip():
        err(E.MESSAGE_BLANK)
    elif len(message) > (limit := bound(MESSAGE_MAX)):
        err(E.MESSAGE_TOO_LONG, f"message is too long; the limit is {limit} characters")

    title = p.get("title") or None
    if title is not None and len(title) > (limit := bound(TITLE_MAX)):
        err(E.TITLE_TOO_LONG, f"title is too long; the limit is {limit} characters")
    url = p.get("url") or None
    if url is not None and len(url) > (limit := bound(URL_MAX)):
        err(E.URL_TOO_LONG, f"url is too long; the limit is {limit} characters")
    elif url is not None and not encrypted and runs_code(url):
        err(E.URL_SCHEME_INVALID)
    url_title = p.get("url_title") or None
    if url_title is not None and len(url_title) > (limit := bound(URL_TITLE_MAX)):
        err(E.URL_TITLE_TOO_LONG,
            f"url_title is too long; the limit is {limit} characters")

    devices = tuple(dict.fromkeys(
        d.strip() for d in (p.get("device") or "").split(",") if d.strip()))
    if not all(DEVICE_NAME.match(d) for d in devices):
        err(E.DEVICE_INVALID)

    priority = 0
    try:
        priority = _int(p.get("priority")) or 0
        if priority not in (-2, -1, 0, 1, 2):
            raise ValueError(priority)
    except ValueError:
        err(E.PRIORITY_INVALID)
    retry, expire, callback, tags = _emergency(p, priority, err)
    escalation = _escalation(p.get("escalation"), err)
    status_callback = (p.get("status_callback") or "").strip() or None
    if status_callback is not None:
        try:
            callbacks.parse(status_callback)
        except callbacks.CallbackRefused as exc:
            err(E.STATUS_CALLBACK_INVALID, f"status_callback: {exc}")

    sound = (p.get("sound") or "").strip() or None
    if sound is not None and not SOUND_NAME.match(sound):
        err(E.SOUND_INVALID, f"sound {sound[:40]!r} is not a valid sound")

    timestamp = None
    try:
        timestamp = _int(p.get("timestamp"))
        if timestamp is not None and not 0 <= timestamp < 2**33:
            raise ValueError(timestamp)
    except ValueError:
        err(E.TIMESTAMP_INVALID)

    ttl = None
    try:
        ttl = _int(p.get("ttl"))
        if ttl is not None and not 0 < ttl < 2**31:
            raise ValueError(ttl)
    except ValueError:
        err(E.TTL_INVALID)

    html, monospace = flag(p.get("html")), flag(p.get("monospace"))
    if html and monospace:
        err(E.HTML_AND_MONOSPACE)
    elif html and message.strip() and not encrypted:
        # Keep only Pushover's subset; what is stored is what a device may render. (An
        # encrypted message is cleaned by the device that opens it.)
        message = sanitize(message)
    send_at, dedup_key, dedup_window = _beyond(p, err)

    if errors:
        raise ApiError(errors)
    return MessageDraft(
        token=token, users=users, message=message, title=title, devices=devices,
        priority=priority, sound=sound, url=url, url_title=url_title, timestamp=timestamp,
        html=html, monospace=monospace, ttl=None if priority == 2 else ttl,  # spec: ignored
        retry=retry, expire=expire, callback=callback, tags=tags, encrypted=encrypted,
        send_at=send_at, dedup_key=dedup_key, dedup_window=dedup_window,
        escalation=escalation, status_callback=status_callback,
    )


def _beyond(p: Mapping[str, str | None], err: Callable[..., None]
            ) -> tuple[int | None, str | None, int]:
    """send_at (its range against now is checked at accept), dedup_key and dedup_window."""
    send_at = None
    try:
        send_at = _int(p.get("send_at"))
        if send_at is not None and not 0 < send_at < 2**33:
            raise ValueError(send_at)
    except ValueError:
        err(E.SEND_AT_INVALID)
    dedup_key = (p.get("dedup_key") or "").strip() or None
    if dedup_key is not None and not DEDUP_KEY.match(dedup_key):
        err(E.DEDUP_KEY_INVALID)
        dedup_key = None
    window = DEDUP_WINDOW
    try:
        given = _int(p.get("dedup_window"))
        window = DEDUP_WINDOW if given is None else given
        if not 0 < window <= DEDUP_WINDOW_MAX:
            raise ValueError(window)
    except ValueError:
        err(E.DEDUP_WINDOW_INVALID)
    return send_at, dedup_key, window


def _emergency(p: Mapping[str, str | None], priority: int, err: Callable[..., None]
               ) -> tuple[int | None, int | None, str | None, tuple[str, ...]]:
    """retry (>= 30 s) and expire (<= 10800 s) are required at priority 2; callback and tags
    are optional. Other priorities ignore all four, as Pushover does."""
    if priority != 2:
        return None, None, None, ()
    retry = expire = None
    try:
        retry = _int(p.get("retry"))
        if retry is None or not RETRY_MIN <= retry < 2**31:
            raise ValueError(retry)
    except ValueError:
        err(E.RETRY_INVALID)
    try:
        expire = _int(p.get("expire"))
        if expire is None or not 0 < expire <= EXPIRE_MAX:
            raise ValueError(expire)
    except ValueError:
        err(E.EXPIRE_INVALID)
    callback = (p.get("callback") or "").strip() or None
    if callback is not None:
        try:
            callbacks.parse(callback)
        except callbacks.CallbackRefused as exc:
            err(E.CALLBACK_INVALID, str(exc))
    tags = parse_tags(p.get("tags"))
    if any(len(t) > TAG_MAX for t in tags) or len(tags) > TAGS_MAX:
        err(E.TAGS_INVALID)
    return retry, expire, callback, tags


def _escalation(value: str | None, err: Callable[..., None]) -> int | None:
    """An escalation policy's id; whether it is the app's own, and the rest of its rules,
    are decided in the intake (overpush.escalations.for_send)."""
    try:
        escalation = _int(value)
        if escalation is not None and escalation < 1:
            raise ValueError(escalation)
    except ValueError:
        err(E.ESCALATION_NOT_FOUND)
        return None
    return escalation
