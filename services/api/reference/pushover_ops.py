"""The hand-kept table, part 1: Pushover's sender API (messages, receipts, sounds, users,
glances, limits, groups, licences, subscriptions)."""

from __future__ import annotations

from typing import Any

from services.api.reference.shapes import KEY, TOKEN, Op, flag, integer, key, text

USER = key("user", "a user or group key; up to 50 comma-separated user keys")
DEVICE = text("device", "device names (1-25 of A-Z a-z 0-9 _ -), comma-separated", 1000)
LIMIT_HEADERS = "X-Limit-App-Limit, X-Limit-App-Remaining and X-Limit-App-Reset headers"
RECEIPT_VIEW: dict[str, Any] = {p: {"type": "integer"} for p in (
    "acknowledged", "acknowledged_at", "last_delivered_at", "expired", "expires_at",
    "called_back", "called_back_at")}
RECEIPT_VIEW["acknowledged_by"] = {"type": "string"}
# Overpush: a dedup resolution (POST /1/dedup/{key}/resolve.json) stopped the re-alerts.
RECEIPT_VIEW["resolved"] = {"type": "integer", "enum": [0, 1]}
RECEIPT_VIEW["resolved_at"] = {"type": "integer"}
RECEIPT_VIEW["acknowledged_by_device"] = {"type": "string"}

MESSAGE_PARAMS = [
    TOKEN, USER,
    text("message", "the message; HTML when html=1", 1024, True),
    text("title", "the title (default: the application's name)", 250),
    DEVICE,
    text("url", "a supplementary URL (http, https or an app scheme; never javascript:)", 512),
    text("url_title", "the URL's title", 100),
    integer("priority", "-2 (no alert) to 2 (emergency: needs retry and expire)", -2, 2),
    text("sound", "a built-in or custom sound name (GET /1/sounds.json)", 20,
         pattern="^[A-Za-z0-9_-]{1,20}$"),
    integer("timestamp", "the message's time as a Unix timestamp (default: now)", 0),
    flag("html", "1: message is HTML (b, i, u, font color, a)"),
    flag("monospace", "1: shown in a monospace font (not with html)"),
    integer("ttl", "seconds until the message is deleted from devices", 1),
    integer("retry", "priority 2: seconds between re-alerts, at least 30", 30, 2**31 - 1),
    integer("expire", "priority 2: seconds until re-alerts stop, at most 10800", 1, 10800),
    text("callback", "priority 2: URL we POST to when the message is acknowledged", 512),
    text("tags", "priority 2: comma-separated tags for cancel_by_tag (20 of at most 100)",
         2100),
    flag("encrypted", "1: message, title, url and url_title are end-to-end encrypted"),
    text("attachment_base64", "an image (JPEG, PNG, GIF, WebP) of at most 5 MiB, Base64",
         7_000_000),
    text("attachment_type", "the attachment's MIME type (attachment_base64)", 40),
    integer("send_at", "deliver at this Unix time (at most 30 days ahead)", 0),
    text("dedup_key", "messages with the same key within dedup_window are one", 100,
         pattern="^[A-Za-z0-9_.:-]{1,100}$"),
    integer("dedup_window", "seconds a dedup_key holds (default 86400, at most 30 days)", 1,
            30 * 86400),
    text("escalation", "priority 2: an escalation policy id (POST /1/escalations.json)", 40),
    text("status_callback", "URL we POST delivery status changes to", 512),
]

OPS: dict[str, Op] = {
    "POST /1/messages.json": Op(
        "Send a message", MESSAGE_PARAMS,
        {"receipt": {**KEY, "description": "priority 2 only"},
         "scheduled": {"type": "string", "description": "with send_at: the scheduled "
                       "message's id (GET /1/scheduled.json)"}},
        (400,),
        description="Sends one message to a user or group (spec §1). Answers with the "
                    f"application's {LIMIT_HEADERS}. Also multipart/form-data with an "
                    "`attachment` file part (at most 5 MiB).", limit_headers=True),
    "GET /1/receipts/{receipt}.json": Op(
        "Poll an emergency receipt", [TOKEN], RECEIPT_VIEW),
    "POST /1/receipts/{receipt}/cancel.json": Op(
        "Cancel an emergency's re-alerts", [TOKEN]),
    "POST /1/receipts/cancel_by_tag/{tag}.json": Op(
        "Cancel every emergency with a tag", [TOKEN], {"canceled": {"type": "integer"}}),
    "GET /1/sounds.json": Op(
        "The sounds an application may use", [TOKEN],
        {"sounds": {"type": "object", "additionalProperties": {"type": "string"}}}),
    "POST /1/users/validate.json": Op(
        "Check a user or group key", [TOKEN, USER, DEVICE],
        {"group": {"type": "integer"}, "devices": {"type": "array",
                                                   "items": {"type": "string"}},
         "licenses": {"type": "array", "items": {"type": "string"}}}),
    "GET /1/apps/limits.json": Op(
        "The application's monthly allowance", [TOKEN],
        {p: {"type": "integer"} for p in ("limit", "remaining", "reset")}, limit_headers=True),
    "POST /1/glances.json": Op(
        "Update a glance (widget fields)", [
            TOKEN, USER, text("device", "one device name (default: all)", 25),
            text("title", "widget title", 100), text("text", "main line", 100),
            text("subtext", "second line", 100),
            integer("count", "a number", -(2**31), 2**31 - 1),
            integer("percent", "a gauge, 0-100", 0, 100)]),
    "GET /1/groups.json": Op(
        "The application owner's groups", [TOKEN],
        {"groups": {"type": "array", "items": {"type": "object"}}},
        tag="Groups"),
    "POST /1/groups.json": Op(
        "Create a group", [TOKEN, text("name", "1-100 characters", 100, True)],
        {"group": KEY}, tag="Groups"),
    "GET /1/groups/{key}.json": Op(
        "A group's name and members", [TOKEN],
        {"name": {"type": "string"}, "users": {"type": "array", "items": {"type": "object"}}},
        tag="Groups"),
    "POST /1/groups/{key}/add_user.json": Op(
        "Add a user to a group", [TOKEN, USER, text("device", "one device only", 25),
                                  text("memo", "a note (at most 200)", 200)],
        tag="Groups"),
    "POST /1/groups/{key}/delete_user.json": Op(
        "Remove a user from a group (Pushover's older name)",
        [TOKEN, USER, text("device", "the membership of this device only", 25)],
        tag="Groups"),
    "POST /1/groups/{key}/remove_user.json": Op(
        "Remove a user from a group",
        [TOKEN, USER, text("device", "the membership of this device only", 25)],
        tag="Groups"),
    "POST /1/groups/{key}/disable_user.json": Op(
        "Pause a member's notifications",
        [TOKEN, USER, text("device", "the membership of this device only", 25)],
        tag="Groups"),
    "POST /1/groups/{key}/enable_user.json": Op(
        "Resume a member's notifications",
        [TOKEN, USER, text("device", "the membership of this device only", 25)],
        tag="Groups"),
    "POST /1/groups/{key}/rename.json": Op(
        "Rename a group", [TOKEN, text("name", "1-100 characters", 100, True)],
        tag="Groups"),
    "POST /1/licenses/assign.json": Op(
        "Assign a licence credit", [
            TOKEN, key("user", "the user's key (or email)", False),
            text("email", "a person's e-mail (claimed at sign-up)", 320),
            text("os", "Android, iOS or Desktop (default: any)", 10)],
        {"credits": {"type": "integer"}}, tag="Licences"),
    "GET /1/licenses.json": Op(
        "Licence credits left", [TOKEN], {"credits": {"type": "integer"}}, tag="Licences"),
    "POST /1/subscriptions/migrate.json": Op(
        "Turn a user key into a subscription key", [
            TOKEN, text("subscription", "the subscription code", 30, True),
            USER, text("device_name", "one device only", 25),
            text("sound", "the subscription's sound", 20)],
        {"subscribed_user_key": KEY}, tag="Subscriptions"),
}
