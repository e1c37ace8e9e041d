"""Errors of Overpush's own edges: the mail gateway's SMTP answers, the web pages' forms and
the command line (operator commands, the service choice of `overpush run`)."""

from __future__ import annotations

from overpush.errors.spec import SmtpReply
from overpush.errors.spec import spec as _e


class LocalErrors:
    """Errors that are not the Pushover API's, by stable code."""

    # The mail gateway's own answers (their HTTP status is only for the record): the SMTP
    # reply is the text after code and enhanced status.
    MAIL_RELAY_DENIED = _e("mail_relay_denied", 400, None, "refused",
                           "Relaying denied: not a local address", smtp=SmtpReply(550, "5.7.1"))
    MAIL_NO_SUCH_USER = _e("mail_no_such_user", 400, None, "refused", "No such user here",
                           smtp=SmtpReply(550, "5.1.1"))
    MAIL_TOO_MANY_RECIPIENTS = _e(
        "mail_too_many_recipients", 400, None, "refused",
        "Too many recipients; send one transaction per address", smtp=SmtpReply(452, "4.5.3"))
    MAIL_RATE_LIMITED = _e(
        "mail_rate_limited", 429, None, "refused",
        "Too much mail to this address; slow down and try again later",
        smtp=SmtpReply(451, "4.7.1"))
    MAIL_NEED_RCPT = _e("mail_need_rcpt", 400, None, "refused", "Error: need RCPT command",
                        smtp=SmtpReply(503, "5.5.1"))
    MAIL_TEMPORARY = _e("mail_temporary", 503, None, "unavailable",
                        "Temporary failure, try again later", smtp=SmtpReply(451, "4.3.0"))
    MAIL_SESSION_ERROR = _e("mail_session_error", 503, None, "unavailable",
                            "Service error, closing connection", smtp=SmtpReply(421, "4.3.0"))
    # The text is what the parser said; the reply puts it after this wording.
    MAIL_UNREADABLE = _e("mail_unreadable", 400, None, "invalid", "mail could not be parsed",
                         smtp=SmtpReply(554, "5.6.0", "Message could not be parsed"))

    # Web forms show the text as it is.
    EMAIL_INVALID = _e("email_invalid", 400, "email", "invalid", "Enter a valid e-mail address.")
    PASSWORD_TOO_SHORT = _e("password_too_short", 400, "password", "invalid",
                            "Choose a password of at least 8 characters.")
    ACCOUNT_EXISTS = _e("account_exists", 400, "email", "taken",
                        "An account with this e-mail address already exists.")
    ICON_TOO_LARGE = _e("icon_too_large", 400, "icon", "invalid",
                        "The icon file is larger than 2 MB. Pick a smaller picture.")
    ICON_FORMAT = _e("icon_format", 400, "icon", "invalid",
                     "Icons must be PNG, JPEG, GIF, WebP or BMP pictures. Pick another file, "
                     "or leave the icon empty.")
    ICON_TOO_WIDE = _e("icon_too_wide", 400, "icon", "invalid",
                       "The picture is larger than 4096 pixels on a side. Pick a smaller one; "
                       "icons are shown at 72 by 72 pixels.")
    # What to do next, never the decoder's exception name.
    ICON_UNREADABLE = _e("icon_unreadable", 400, "icon", "invalid",
                         "That file is not a picture we can read. Pick a PNG, JPEG, GIF, WebP "
                         "or BMP image, or leave the icon empty.")

    # Security of accounts (issue 14).
    APP_URL_INVALID = _e("app_url_invalid", 400, "url", "invalid",
                         "The URL must start with http:// or https://.")
    SIGNUP_THROTTLED = _e("signup_throttled", 429, "email", "throttled",
                          "Too many sign-ups from your network. Wait a while and try again.")
    PASSWORD_WRONG = _e("password_wrong", 400, "password", "invalid",
                        "That is not your current password.")

    # The command line: an operator command that cannot be done (the text says why, in the
    # operator's words), and a service choice `overpush run` refuses (exit status 2).
    COMMAND_REFUSED = _e("command_refused", 400, None, "invalid", "the command cannot be done")
    SERVICE_UNKNOWN = _e("service_unknown", 400, None, "invalid", "unknown service", exit=2)
    MEMORY_BUS_SPLIT = _e(
        "memory_bus_split", 400, None, "invalid",
        "the in-process bus (OVERPUSH_BUS_URL=memory://) only works with every service in "
        "one process: events would be lost between processes. Run `overpush run` with no "
        "service names, or set OVERPUSH_BUS_URL to an amqp:// RabbitMQ URL.", exit=2)
