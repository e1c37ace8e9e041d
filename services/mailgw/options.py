"""Pure decisions of the gateway: alias names and options, a mail's parameters, SMTP answers."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from overpush.errors import ApiError, E, FieldError
from overpush.intake.validate import DEVICE_NAME, flag
from overpush.sounds import BUILTIN_SOUNDS

from services.mailgw.parse import ParsedMail

ALIAS_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MAX_ALIASES = 100
# Role addresses nobody may claim: mail to them is meant for the operator, not a user.
RESERVED = frozenset({"postmaster", "abuse", "hostmaster", "webmaster", "mailer-daemon",
                      "root", "admin", "noreply", "no-reply", "support", "security"})


@dataclass(frozen=True)
class AliasOptions:
    sound: str | None = None
    priority: int = 0
    device: str | None = None
    ignore_timestamps: bool = False


def local_part(address: str, domain: str) -> str | None:
    """The alias name of `address` if it is on our mail domain, else None (no relaying)."""
    local, at, dom = address.strip().strip("<>").rpartition("@")
    if not at or dom.lower().rstrip(".") != domain.lower() or not local:
        return None
    return local.lower()


def alias_name(raw: str | None, domain: str) -> str:
    """A requested alias name ("alerts" or "alerts@pomail.net"), checked."""
    name = (raw or "").strip().lower()
    if "@" in name:
        name = local_part(name, domain) or ""
    if not ALIAS_NAME.match(name) or name in RESERVED:
        raise ApiError.of(E.ALIAS_NAME_INVALID)
    return name


def alias_options(p: Mapping[str, str | None]) -> AliasOptions:
    """Options for a new alias, from API parameters or the command line; all problems at once."""
    errors: list[FieldError] = []
    sound = (p.get("sound") or "").strip() or None
    if sound is not None and sound not in BUILTIN_SOUNDS:
        errors.append(FieldError(E.SOUND_INVALID, f"sound {sound[:40]!r} is not a valid sound"))
    priority = 0
    raw = (p.get("priority") or "").strip()
    if raw:
        try:
            priority = int(raw)
        except ValueError:
            priority = 99
        if priority not in (-2, -1, 0, 1):
            # Emergency (2) needs retry and expire, which an e-mail cannot carry.
            errors.append(FieldError(E.PRIORITY_INVALID, "priority must be -2, -1, 0 or 1"))
    device = (p.get("device") or "").strip() or None
    if device is not None and not DEVICE_NAME.match(device):
        errors.append(FieldError(E.DEVICE_INVALID))
    if errors:
        raise ApiError(errors)
    return AliasOptions(sound, priority, device, flag(p.get("ignore_timestamps")))


def timestamp_for(mail: ParsedMail, options: AliasOptions, now: datetime) -> int | None:
    """The Date header as the notification's time, so delayed mail sorts where it was written;
    not when the alias ignores timestamps, or the date is missing, unreadable or in the future.
    """
    at = mail.written_at
    if options.ignore_timestamps or at is None or at > now or at.timestamp() < 0:
        return None
    return int(at.timestamp())


def message_params(mail: ParsedMail, options: AliasOptions, token: str, user_key: str,
                   now: datetime) -> dict[str, str | None]:
    """The parameters the HTTP API would have received for this mail."""
    ts = timestamp_for(mail, options, now)
    return {
        "token": token, "user": user_key,
        # A mail with only a subject still says something: the subject is the message then.
        "message": mail.body or mail.title or "",
        "title": mail.title if mail.body else None,
        "sound": options.sound, "priority": str(options.priority), "device": options.device,
        "timestamp": None if ts is None else str(ts),
    }


def smtp_reply(err: ApiError) -> str:
    """The SMTP answer for an intake error: 4xx for our failures, 5xx for the sender's.

    Over quota is permanent (552 5.2.2, "mailbox full"): the quota is the recipient's own
    monthly allowance, and MTAs retrying for days would deliver stale alerts at the month's
    turn; a bounce tells the sender at once.
    """
    text = "; ".join(e.message for e in err.errors)[:400]
    if err.status >= 500:
        return f"451 4.3.0 Temporary failure, try again later: {text}"
    if err.status == 429:
        return f"552 5.2.2 Recipient is over its monthly message limit: {text}"
    fields = {e.spec.field for e in err.errors}
    if fields & {"token"}:
        # Our gateway's own application is broken: our failure, not the sender's.
        return f"451 4.3.0 Temporary failure of the gateway: {text}"
    if fields & {"user", "device"}:
        return f"550 5.1.1 Recipient cannot receive notifications: {text}"
    return f"554 5.6.0 Message cannot be turned into a notification: {text}"
