"""The Pushover API's errors: each with a stable code, an HTTP status and Pushover's wording
(its SMTP reply follows from the status and field, see spec.smtp_reply). The entries of each
feature are in a module of their own; here are those any call can answer with."""

from __future__ import annotations

from overpush.errors.accounts import AccountErrors
from overpush.errors.alerting import AlertingErrors
from overpush.errors.sending import SendingErrors
from overpush.errors.spec import spec as _e
from overpush.errors.teams import TeamErrors


class ApiErrors(SendingErrors, AccountErrors, TeamErrors, AlertingErrors):
    """Every error the HTTP API answers with, by stable code."""

    BODY_INVALID = _e("body_invalid", 400, None, "invalid", "request body could not be parsed")
    # The field is the offending parameter's name, filled in where the error is raised.
    TEXT_INVALID = _e(
        "text_invalid", 400, None, "invalid",
        "a parameter contains a NUL character or an unpaired surrogate",
    )
    BODY_TOO_LARGE = _e(
        "body_too_large", 413, None, "invalid", "request body is too large"
    )
    NOT_FOUND = _e("not_found", 404, None, "not found", "no such API call")
    METHOD_NOT_ALLOWED = _e("method_not_allowed", 405, None, "invalid", "method not allowed")
    INTERNAL = _e("internal", 500, None, "internal error",
                  "internal server error; it was logged")
    UNAVAILABLE = _e(
        "unavailable", 503, None, "unavailable",
        "service temporarily unavailable; try again in a few seconds",
    )
