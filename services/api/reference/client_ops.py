"""The hand-kept table, part 2: Pushover's Open Client API (devices), as Overpush serves it."""

from __future__ import annotations

from typing import Any

from overpush import platforms
from overpush.devices import DEVICE_NAME

from services.api.reference.shapes import DEVICE_ID, SECRET, Op, flag, text

T = "Open Client API"
OBJ: dict[str, Any] = {"type": "object"}
SETTINGS: dict[str, Any] = {"user": OBJ}

OPS: dict[str, Op] = {
    "POST /1/users/login.json": Op(
        "Log a device's user in", [
            text("email", "the account's e-mail address", 320, True),
            text("password", "the account's password", 1000, True),
            text("twofa", "the TOTP code, when the account has 2FA (HTTP 412 asks for it)", 64)],
        {"id": {"type": "string", "description": "the user key"},
         "secret": {"type": "string", "description": "the session secret"}},
        (400, 412), T),
    "POST /1/users/logout.json": Op("Revoke this session secret", [SECRET], tag=T),
    "POST /1/devices.json": Op(
        "Register a device", [
            SECRET,
            text("name", "1-25 of A-Z a-z 0-9 _ -", 25, True, pattern=DEVICE_NAME.pattern),
            text("os", ", ".join(f"{c} ({platforms.name_of(c)})" for c in platforms.CODES), 1,
                 True, enum=list(platforms.CODES)),
            text("push_token", "the vendor's push token (A and I); a Web Push subscription", 4096),
            flag("encrypted", "1: the device wants end-to-end encryption (the answer's key)"),
            text("device_identifier", "a stable identifier of the hardware", 200)],
        {"id": {"type": "string"}, "encryption_key": {"type": "string"}},
        tag=T, error_schema="FieldErrors"),
    "GET /1/messages.json": Op(
        "Download a device's messages", [SECRET, DEVICE_ID],
        {"messages": {"type": "array", "items": OBJ}, "user": OBJ, "device": OBJ},
        tag=T),
    "POST /1/devices/{device_id}/update_highest_message.json": Op(
        "Delete downloaded messages up to an id", [
            SECRET, text("message", "the highest message id the device has", 40, True,
                         pattern="^[0-9]{1,40}$")], tag=T),
    "POST /1/devices/{device_id}/delete.json": Op(
        "Delete the device and its queue", [SECRET], tag=T),
    "POST /1/receipts/{receipt}/acknowledge.json": Op(
        "Acknowledge an emergency", [SECRET, text("device_id", "the acknowledging device",
                                                  40)], tag=T),
    "POST /1/users/settings.json": Op(
        "Change the user's alert settings", [
            SECRET, text("quiet_start", "HH:MM, empty: quiet hours off", 5),
            text("quiet_end", "HH:MM", 5), text("timezone", "an IANA time zone", 64),
            text("default_sound", "a built-in sound", 20)], SETTINGS, tag=T),
    "POST /1/devices/{device_id}/settings.json": Op(
        "Change a device's settings", [
            SECRET, flag("always_use_default_sound", "1: ignore each message's sound")],
        {"device": OBJ}, tag=T),
    "GET /1/glances.json": Op(
        "A device's latest glance", [SECRET, DEVICE_ID],
        {"glance": {"type": ["object", "null"]}},
        tag=T),
    "GET /1/attachments/{name}": Op(
        "Download a message's attachment", [SECRET, DEVICE_ID], tag=T, errors=(400, 404),
        answer_type="image/*",
        description="The image bytes (JPEG, PNG, GIF or WebP), until the device deletes "
                    "the message."),
}
