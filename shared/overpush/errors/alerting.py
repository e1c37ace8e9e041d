"""Errors of heartbeat monitors and escalation policies (issue 17, sections 3 and 5)."""

from __future__ import annotations

from overpush.errors.spec import spec as _e


class AlertingErrors:
    """Errors of heartbeats and escalations, by stable code."""

    HEARTBEAT_NOT_FOUND = _e(
        "heartbeat_not_found", 400, "heartbeat", "not found", "heartbeat not found"
    )
    HEARTBEAT_NAME_INVALID = _e(
        "heartbeat_name_invalid", 400, "name", "invalid", "name must have 1 to 100 characters"
    )
    PERIOD_INVALID = _e(
        "period_invalid", 400, "period", "invalid",
        "period must be a whole number of seconds from 10 to 2678400 (31 days)",
    )
    GRACE_INVALID = _e(
        "grace_invalid", 400, "grace", "invalid",
        "grace must be a whole number of seconds from 0 to 2678400 (31 days)",
    )
    TOO_MANY_HEARTBEATS = _e(
        "too_many_heartbeats", 400, "heartbeat", "invalid",
        "too many heartbeats; at most 200 per application",
    )
    ESCALATION_NOT_FOUND = _e(
        "escalation_not_found", 400, "escalation", "not found", "escalation policy not found"
    )
    ESCALATION_NAME_INVALID = _e(
        "escalation_name_invalid", 400, "name", "invalid", "name must have 1 to 100 characters"
    )
    LEVELS_INVALID = _e(
        "levels_invalid", 400, "levels", "invalid",
        'levels must be a JSON list of 1 to 10 {"user": KEY, "after": SECONDS}, the first '
        "with after 0 and each later one after the one before, up to 10800 seconds",
    )
    TOO_MANY_ESCALATIONS = _e(
        "too_many_escalations", 400, "escalation", "invalid",
        "too many escalation policies; at most 100 per application",
    )
    ESCALATION_USER_MISMATCH = _e(
        "escalation_user_mismatch", 400, "user", "invalid",
        "user must be the key of the escalation policy's first level",
    )
    ESCALATION_PRIORITY = _e(
        "escalation_priority", 400, "escalation", "invalid",
        "escalation needs emergency priority (2)",
    )
