"""Errors of accounts and their devices: the Open Client API's log-in and two-factor codes,
devices and their Web Push subscriptions, settings, e-mail aliases."""

from __future__ import annotations

from overpush.errors.spec import spec as _e


class AccountErrors:
    """Errors of accounts and devices, by stable code."""

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
    # Security of accounts (issue 14): throttled log-ins and codes, unconfirmed accounts.
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
