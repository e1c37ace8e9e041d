"""The Pushover API's errors: each with a stable code, an HTTP status and Pushover's wording
(its SMTP reply follows from the status and field, see spec.smtp_reply)."""

from __future__ import annotations

from overpush.errors.spec import spec as _e


class ApiErrors:
    """Every error the HTTP API answers with, by stable code."""

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
    GROUP_NOT_FOUND = _e(
        "group_not_found", 400, "group", "not found",
        "group not found or you are not authorized to edit it",
    )
    GROUP_NAME_INVALID = _e(
        "group_name_invalid", 400, "name", "invalid", "name must have 1 to 100 characters"
    )
    MEMBER_EXISTS = _e(
        "member_exists", 400, "user", "invalid", "user is already a member of this group"
    )
    MEMBER_MISSING = _e(
        "member_missing", 400, "user", "invalid", "user is not a member of this group"
    )
    MEMO_TOO_LONG = _e("memo_too_long", 400, "memo", "invalid", "memo is too long")
    VALIDATE_USER_INVALID = _e("validate_user_invalid", 400, "user", "invalid",
                               "user key is invalid")
    VALIDATE_DEVICE_INVALID = _e("validate_device_invalid", 400, "device",
                                 "invalid for this user", "device name is not valid for user")
    LICENSE_RECIPIENT_MISSING = _e(
        "license_recipient_missing", 400, "user", "invalid", "user or email is required"
    )
    LICENSE_EMAIL_INVALID = _e(
        "license_email_invalid", 400, "email", "invalid", "email is not a valid address"
    )
    LICENSE_OS_INVALID = _e(
        "license_os_invalid", 400, "os", "invalid", "os must be Android, iOS or Desktop"
    )
    LICENSE_NO_CREDITS = _e(
        "license_no_credits", 400, "token", "is out of available license credits",
        "application is out of available license credits",
    )
    TEAM_TOKEN_INVALID = _e("team_token_invalid", 400, "token", "invalid",
                            "team token is invalid")
    TEAM_EMAIL_INVALID = _e("team_email_invalid", 400, "email", "invalid",
                            "email is not a valid address")
    TEAM_MEMBER_ELSEWHERE = _e("team_member_elsewhere", 400, "email", "invalid",
                               "user is already a member of a team")
    TEAM_MEMBER_MISSING = _e("team_member_missing", 400, "email", "invalid",
                             "user is not a member of this team")
    SUBSCRIPTION_INVALID = _e("subscription_invalid", 400, "subscription", "invalid",
                              "subscription code is invalid")
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
    BODY_INVALID = _e("body_invalid", 400, None, "invalid", "request body could not be parsed")
    # The field is the offending parameter's name, filled in where the error is raised.
    TEXT_INVALID = _e(
        "text_invalid", 400, None, "invalid",
        "a parameter contains a NUL character or an unpaired surrogate",
    )
    BODY_TOO_LARGE = _e(
        "body_too_large", 413, None, "invalid", "request body is too large"
    )
    QUOTA_EXCEEDED = _e(
        "quota_exceeded", 429, "token", "over quota",
        "application has exceeded its monthly message limit",
    )
    SECRET_INVALID = _e("secret_invalid", 400, "secret", "invalid", "secret is invalid")
    LOGIN_INVALID = _e(
        "login_invalid", 400, "email", "invalid", "invalid email and/or password"
    )
    TWOFA_REQUIRED = _e(
        "twofa_required", 412, "twofa", "required", "two-factor authentication code required"
    )
    TWOFA_INVALID = _e(
        "twofa_invalid", 400, "twofa", "invalid", "two-factor authentication code is invalid"
    )
    DEVICE_NOT_FOUND = _e(
        "device_not_found", 400, "device_id", "not found", "device not found or not yours"
    )
    DEVICE_NAME_INVALID = _e(
        "device_name_invalid", 400, "name", "invalid",
        "name is invalid; use 1-25 characters of A-Z, a-z, 0-9, _ and -",
    )
    DEVICE_NAME_TAKEN = _e("device_name_taken", 400, "name", "invalid", "has already been taken")
    # Network limits (SECURITY.md).
    DEVICE_LIMIT = _e("device_limit", 400, "name", "invalid",
                      "this account has as many devices as it may have; delete one first")
    GLANCES_THROTTLED = _e("glances_throttled", 429, "token", "throttled",
                           "too many glance updates from this application; slow down")
    DEVICES_TOO_MANY = _e("devices_too_many", 400, "device", "invalid",
                          "device names more devices than a user may have")
    OS_INVALID = _e("os_invalid", 400, "os", "invalid", "os must be I (iOS), A (Android) or O")
    PUSH_TOKEN_INVALID = _e(
        "push_token_invalid", 400, "push_token", "invalid",
        "push_token is required for iOS and Android devices and must be the token from "
        "Apple (hex) or Google",
    )
    # Web Push subscriptions (POST /1/devices/{device_id}/webpush.json).
    WEBPUSH_ENDPOINT_INVALID = _e(
        "webpush_endpoint_invalid", 400, "endpoint", "invalid",
        "endpoint must be the https URL of a publicly reachable push service "
        "(PushSubscription.endpoint), at most 1024 characters",
    )
    WEBPUSH_KEYS_INVALID = _e(
        "webpush_keys_invalid", 400, "p256dh", "invalid",
        "p256dh and auth must be the subscription's keys in base64url: a P-256 public key "
        "(65 bytes, uncompressed) and a 16-byte secret",
    )
    WEBPUSH_NOT_DESKTOP = _e(
        "webpush_not_desktop", 400, "device_id", "invalid",
        "Web Push is for desktop (browser) devices, registered with os O",
    )
    QUIET_HOURS_INVALID = _e(
        "quiet_hours_invalid", 400, "quiet_start", "invalid",
        "quiet_start and quiet_end must both be HH:MM (24-hour), or both empty",
    )
    TIMEZONE_INVALID = _e(
        "timezone_invalid", 400, "timezone", "invalid",
        "timezone must be an IANA time zone name such as Europe/Berlin",
    )
    DEFAULT_SOUND_INVALID = _e(
        "default_sound_invalid", 400, "default_sound", "invalid", "default_sound is invalid"
    )
    SETTING_INVALID = _e(
        "setting_invalid", 400, "always_use_default_sound", "invalid",
        "always_use_default_sound must be 0 or 1",
    )
    HIGHEST_INVALID = _e(
        "highest_invalid", 400, "message", "invalid", "message must be a message id"
    )
    ALIAS_NAME_INVALID = _e(
        "alias_name_invalid", 400, "name", "invalid",
        "alias name is invalid; use 3-64 characters of a-z, 0-9, '.', '_' and '-', "
        "starting with a letter or digit",
    )
    ALIAS_TAKEN = _e("alias_taken", 400, "name", "invalid", "alias has already been taken")
    ALIAS_NOT_FOUND = _e("alias_not_found", 400, "alias", "not found", "alias not found")
    ALIAS_DEFAULT = _e(
        "alias_default", 400, "alias", "invalid", "the default address cannot be deleted"
    )
    TOO_MANY_ALIASES = _e(
        "too_many_aliases", 400, "alias", "invalid", "too many aliases; at most 100 per user"
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
    # Heartbeat monitors and escalation policies (issue 17, sections 3 and 5).
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
    # Security of accounts (issue 14): throttled log-ins and codes, unconfirmed accounts,
    # message URLs whose scheme would run code.
    LOGIN_THROTTLED = _e(
        "login_throttled", 429, "email", "throttled",
        "too many failed attempts; wait a few minutes and try again",
    )
    TWOFA_THROTTLED = _e(
        "twofa_throttled", 429, "twofa", "throttled",
        "too many wrong two-factor codes; wait a few minutes and try again",
    )
    EMAIL_UNCONFIRMED = _e(
        "email_unconfirmed", 400, "email", "unconfirmed",
        "the account's e-mail address is not confirmed yet; open the link we mailed",
    )
    URL_SCHEME_INVALID = _e(
        "url_scheme_invalid", 400, "url", "invalid",
        "url may not use the javascript:, data: or vbscript: scheme",
    )
    NOT_FOUND = _e("not_found", 404, None, "not found", "no such API call")
    # Teams: invitations, add_user's fields, and team-owned delivery groups.
    TEAM_NAME_INVALID = _e("team_name_invalid", 400, "name", "invalid",
                           "name must have at most 100 characters")
    TEAM_PASSWORD_INVALID = _e("team_password_invalid", 400, "password", "invalid",
                               "password must have at least 8 characters, or be left blank")
    TEAM_INVITATIONS_FULL = _e("team_invitations_full", 400, "email", "invalid",
                               "too many pending invitations; at most 1000 per team")
    TEAM_INVITATION_MISSING = _e("team_invitation_missing", 400, "email", "invalid",
                                 "no pending invitation for this email")
    TEAM_GROUP_NO_DEVICE = _e("team_group_no_device", 400, "device", "invalid",
                              "no member of this team group has a device of that name")
    METHOD_NOT_ALLOWED = _e("method_not_allowed", 405, None, "invalid", "method not allowed")
    INTERNAL = _e("internal", 500, None, "internal error",
                  "internal server error; it was logged")
    UNAVAILABLE = _e(
        "unavailable", 503, None, "unavailable",
        "service temporarily unavailable; try again in a few seconds",
    )
