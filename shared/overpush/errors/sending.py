"""Errors of what applications send: messages and their fields, receipts, attachments,
sounds, glances, scheduled sends and dedup keys, delivery status."""

from __future__ import annotations

from overpush.errors.spec import spec as _e


class SendingErrors:
    """Errors of sending, by stable code."""

    TOKEN_INVALID = _e("token_invalid", 400, "token", "invalid", "application token is invalid")
    USER_MISSING = _e("user_missing", 400, "user", "invalid", "user identifier is invalid")
    USER_INVALID = _e(
        "user_invalid", 400, "user", "invalid",
        "user identifier is not a valid user, group, or subscribed user key",
    )
    USER_NO_DEVICES = _e("user_no_devices", 400, "user", "invalid", "user has no active devices")
    TOO_MANY_USERS = _e(
        "too_many_users", 400, "user", "invalid", "too many users; at most 50 per message"
    )
    MESSAGE_BLANK = _e("message_blank", 400, "message", "invalid", "message cannot be blank")
    MESSAGE_TOO_LONG = _e(
        "message_too_long", 400, "message", "invalid", "message is too long"
    )
    TITLE_TOO_LONG = _e("title_too_long", 400, "title", "invalid", "title is too long")
    URL_TOO_LONG = _e("url_too_long", 400, "url", "invalid", "url is too long")
    URL_TITLE_TOO_LONG = _e(
        "url_title_too_long", 400, "url_title", "invalid", "url_title is too long"
    )
    PRIORITY_INVALID = _e(
        "priority_invalid", 400, "priority", "invalid", "priority must be -2, -1, 0, 1 or 2"
    )
    SOUND_INVALID = _e("sound_invalid", 400, "sound", "invalid", "sound is invalid")
    TIMESTAMP_INVALID = _e(
        "timestamp_invalid", 400, "timestamp", "invalid",
        "timestamp must be a Unix timestamp in seconds",
    )
    TTL_INVALID = _e("ttl_invalid", 400, "ttl", "invalid", "ttl must be a positive integer")
    DEVICE_INVALID = _e(
        "device_invalid", 400, "device", "invalid",
        "device name is invalid; use 1-25 characters of A-Z, a-z, 0-9, _ and -",
    )
    HTML_AND_MONOSPACE = _e(
        "html_and_monospace", 400, "monospace", "invalid",
        "html and monospace cannot be used together",
    )
    RETRY_INVALID = _e(
        "retry_invalid", 400, "retry", "invalid",
        "retry is required for emergency priority and must be at least 30 seconds",
    )
    EXPIRE_INVALID = _e(
        "expire_invalid", 400, "expire", "invalid",
        "expire is required for emergency priority and must be at most 10800 seconds",
    )
    CALLBACK_INVALID = _e(
        "callback_invalid", 400, "callback", "invalid",
        "callback must be a publicly reachable http or https URL",
    )
    TAGS_INVALID = _e(
        "tags_invalid", 400, "tags", "invalid", "tags are invalid; at most 100 characters each"
    )
    RECEIPT_NOT_FOUND = _e(
        "receipt_not_found", 400, "receipt", "not found",
        "receipt not found; may be invalid or expired",
    )
    ATTACHMENT_TOO_LARGE = _e(
        "attachment_too_large", 400, "attachment", "invalid",
        "attachment is too large; the limit is 5242880 bytes",
    )
    ATTACHMENT_INVALID = _e(
        "attachment_invalid", 400, "attachment", "invalid",
        "attachment must be a JPEG, PNG, GIF or WebP image",
    )
    ATTACHMENT_NOT_FOUND = _e(
        "attachment_not_found", 404, "attachment", "not found",
        "attachment not found; fetch it before deleting its message",
    )
    GLANCE_EMPTY = _e(
        "glance_empty", 400, None, "invalid",
        "at least one of title, text, subtext, count or percent is required",
    )
    GLANCE_FIELD_TOO_LONG = _e(
        "glance_field_too_long", 400, "text", "invalid", "field is too long"
    )
    COUNT_INVALID = _e("count_invalid", 400, "count", "invalid", "count must be an integer")
    PERCENT_INVALID = _e(
        "percent_invalid", 400, "percent", "invalid", "percent must be an integer from 0 to 100"
    )
    SOUND_NOT_FOUND = _e("sound_not_found", 404, "sound", "not found", "sound not found")
    QUOTA_EXCEEDED = _e(
        "quota_exceeded", 429, "token", "over quota",
        "application has exceeded its monthly message limit",
    )
    # Network limits (SECURITY.md).
    GLANCES_THROTTLED = _e("glances_throttled", 429, "token", "throttled",
                           "too many glance updates from this application; slow down")
    DEVICES_TOO_MANY = _e("devices_too_many", 400, "device", "invalid",
                          "device names more devices than a user may have")
    # Issue 14: message URLs whose scheme would run code.
    URL_SCHEME_INVALID = _e(
        "url_scheme_invalid", 400, "url", "invalid",
        "url may not use the javascript:, data: or vbscript: scheme",
    )
    # --- sending beyond Pushover: send_at, dedup keys (send-a) ---
    SEND_AT_INVALID = _e(
        "send_at_invalid", 400, "send_at", "invalid",
        "send_at must be a Unix timestamp in seconds within the next 30 days",
    )
    SEND_AT_ATTACHMENT = _e(
        "send_at_attachment", 400, "send_at", "invalid",
        "a message with an attachment cannot be scheduled; send it without send_at",
    )
    SCHEDULED_TOO_MANY = _e(
        "scheduled_too_many", 400, "send_at", "invalid",
        "too many scheduled messages; at most 1000 may wait per application",
    )
    SCHEDULED_NOT_FOUND = _e(
        "scheduled_not_found", 400, "scheduled", "not found",
        "scheduled message not found; it may have been sent or cancelled",
    )
    DEDUP_KEY_INVALID = _e(
        "dedup_key_invalid", 400, "dedup_key", "invalid",
        "dedup_key is invalid; use 1-100 characters of A-Z, a-z, 0-9, _ . : and -",
    )
    DEDUP_WINDOW_INVALID = _e(
        "dedup_window_invalid", 400, "dedup_window", "invalid",
        "dedup_window must be a number of seconds from 1 to 2592000 (30 days)",
    )
    # --- end send-a ---
    # Delivery status (issue 17 section 6).
    # No per-field key: "request" is the envelope's own (the request id of the answer).
    REQUEST_NOT_FOUND = _e(
        "request_not_found", 400, None, "not found",
        "request not found; it may be another application's, not dispatched yet, or expired",
    )
    STATUS_CALLBACK_INVALID = _e(
        "status_callback_invalid", 400, "status_callback", "invalid",
        "status_callback must be a publicly reachable http or https URL",
    )
