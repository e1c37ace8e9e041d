"""What a catalog entry is, the one exception that carries entries, and how each edge (HTTP,
SMTP, the command line) renders it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Self


@dataclass(frozen=True)
class SmtpReply:
    """An SMTP answer: reply code and enhanced status (RFC 3463), then either `wording`
    followed by the errors' texts, or (no wording) the error's text alone."""

    code: int
    enhanced: str
    wording: str | None = None
    rank: int = 9  # when several errors answer one mail, the lowest rank speaks for all


# Intake errors answered to a mail (smtp_reply): 4xx for our failures, 5xx for the sender's.
# Over quota is permanent (552 5.2.2, "mailbox full"): the quota is the recipient's own
# monthly allowance, and MTAs retrying for days would deliver stale alerts at the month's
# turn; a bounce tells the sender at once. A bad token is our gateway's own application.
TEMPORARY = SmtpReply(451, "4.3.0", "Temporary failure, try again later", 0)
OVER_QUOTA = SmtpReply(552, "5.2.2", "Recipient is over its monthly message limit", 1)
GATEWAY = SmtpReply(451, "4.3.0", "Temporary failure of the gateway", 2)
RECIPIENT = SmtpReply(550, "5.1.1", "Recipient cannot receive notifications", 3)
CONTENT = SmtpReply(554, "5.6.0", "Message cannot be turned into a notification", 4)


@dataclass(frozen=True)
class ErrorSpec:
    code: str  # stable, for metrics and tests
    status: int  # HTTP
    field: str | None  # the per-field key of Pushover's envelope
    reason: str
    text: str
    smtp: SmtpReply = CONTENT
    exit: int = 1  # the command line's exit status


def spec(code: str, status: int, fld: str | None, reason: str, text: str, *,
         smtp: SmtpReply | None = None, exit: int = 1) -> ErrorSpec:
    """A catalog entry; its SMTP reply follows from status and field unless given."""
    if smtp is None:
        if status >= 500:
            smtp = TEMPORARY
        elif status == 429:
            smtp = OVER_QUOTA
        elif fld == "token":
            smtp = GATEWAY
        elif fld in ("user", "device"):
            smtp = RECIPIENT
        else:
            smtp = CONTENT
    return ErrorSpec(code, status, fld, reason, text, smtp, exit)


@dataclass(frozen=True)
class FieldError:
    """One problem with one input, ready to be put into an error envelope."""

    spec: ErrorSpec
    text: str | None = None  # overrides spec.text where the text names a limit or value

    @property
    def message(self) -> str:
        return self.text or self.spec.text


@dataclass
class ApiError(Exception):
    """Raised anywhere (a request, a mail, a command); each edge renders it from its entries:
    HTTP with `status` and `body`, SMTP with `smtp_reply`, the command line with
    `command_reply`."""

    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, spec: ErrorSpec, text: str | None = None) -> Self:
        return cls([FieldError(spec, text)])

    def __str__(self) -> str:
        return "; ".join(e.message for e in self.errors)

    @property
    def status(self) -> int:
        return max(e.spec.status for e in self.errors) if self.errors else 400

    @property
    def exit_code(self) -> int:
        return max((e.spec.exit for e in self.errors), default=1)

    def body(self, request_id: str) -> dict[str, object]:
        """Pushover's envelope: `{"<field>": "<reason>", "errors": [...], "status": 0,
        "request": "<id>"}`; several real clients look for the per-field key, so it is part
        of the contract, not decoration."""
        out: dict[str, object] = {}
        for err in self.errors:
            if err.spec.field and err.spec.field not in out:
                out[err.spec.field] = err.spec.reason
        out["errors"] = [e.message for e in self.errors]
        out["status"] = 0
        out["request"] = request_id
        return out


def smtp_reply(err: ApiError) -> str:
    """The SMTP answer for an error: the most urgent entry's reply, with every text."""
    if not err.errors:
        return f"{CONTENT.code} {CONTENT.enhanced} {CONTENT.wording}"
    reply = min((e.spec.smtp for e in err.errors), key=lambda r: r.rank)
    if reply.wording is None:
        return f"{reply.code} {reply.enhanced} {err}"
    return f"{reply.code} {reply.enhanced} {reply.wording}: {str(err)[:400]}"


def command_reply(err: ApiError) -> tuple[str, int]:
    """What an admin command prints for an error (a JSON line, as it prints its results),
    and the exit status."""
    return json.dumps({"status": 0, "errors": [str(err)]}), err.exit_code
