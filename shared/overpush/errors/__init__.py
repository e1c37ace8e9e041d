"""The error catalog: every error Overpush answers with, by stable code, for every edge.

An entry (ErrorSpec) has an HTTP status and Pushover's wording (api.py and the feature modules
it gathers: sending, accounts, teams, alerting), an SMTP reply and a command-line exit
status; ApiError carries entries, and each edge renders them the same way: HTTP in
services/api/responses.py (ApiError.body), SMTP with smtp_reply, the command line with
command_reply.
"""

from overpush.errors.api import ApiErrors
from overpush.errors.local import LocalErrors
from overpush.errors.spec import (
    ApiError,
    ErrorSpec,
    FieldError,
    SmtpReply,
    command_reply,
    smtp_reply,
)

__all__ = [
    "ApiError",
    "E",
    "ErrorSpec",
    "FieldError",
    "SmtpReply",
    "command_reply",
    "smtp_reply",
]


class E(ApiErrors, LocalErrors):
    """Every entry of the catalog, by stable code."""
