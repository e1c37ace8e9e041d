"""Pure decisions of the gateway: the parameters the HTTP API would have got for a mail."""

from __future__ import annotations

from datetime import datetime

from overpush.aliases import AliasOptions

from services.mailgw.parse import ParsedMail


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

