"""Pure decisions of the gateway: a mail's parameters, SMTP answers."""

from __future__ import annotations

from datetime import datetime

from overpush.aliases import AliasOptions
from overpush.errors import ApiError

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
