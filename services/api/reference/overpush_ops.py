"""The hand-kept table, part 3: Overpush's own additions (e-mail aliases, teams, Web Push,
dedup, scheduled messages, heartbeats, escalations, delivery status)."""

from __future__ import annotations

from typing import Any

from services.api.reference.shapes import KEY, SECRET, TOKEN, Op, P, flag, integer, key, text

T = "Overpush additions"
OBJS: dict[str, Any] = {"type": "array", "items": {"type": "object"}}
USER = key("user", "a user or group key")
EMAIL = text("email", "the person's e-mail address", 320, True)

OPS: dict[str, Op] = {
    "GET /1/aliases.json": Op(
        "The user's e-mail gateway addresses", [SECRET], {"aliases": OBJS}, tag=T),
    "POST /1/aliases.json": Op(
        "Create an e-mail gateway address", [
            SECRET, text("name", "the part before @ (3-64 of a-z 0-9 . _ -; random if none)",
                         64), text("sound", "the sound of its messages", 20),
            integer("priority", "-2 to 1", -2, 1), text("device", "one device only", 25),
            flag("ignore_timestamps", "1: use the time of receipt, not the Date header")],
        {"alias": {"type": "object"}}, tag=T),
    "POST /1/aliases/{alias}/delete.json": Op(
        "Delete an e-mail gateway address", [SECRET], tag=T),
    "GET /1/teams.json": Op(
        "A team's members, invitations and group", [TOKEN],
        {"name": {"type": "string"}, "group": KEY, "users": OBJS, "invitations": OBJS},
        tag="Teams"),
    "POST /1/teams/add_user.json": Op(
        "Invite a person to the team", [
            TOKEN, EMAIL, text("name", "the person's name", 100),
            text("password", "at least 8 characters: make the account at once", 1000),
            flag("instant", "1: add at once instead of inviting"),
            flag("admin", "1: a team administrator"), text("group", "a group key to join", 30)],
        tag="Teams"),
    "POST /1/teams/remove_user.json": Op(
        "Remove a member, or withdraw an invitation", [TOKEN, EMAIL], tag="Teams"),
    "POST /1/teams/revoke_invitation.json": Op(
        "Withdraw a pending invitation", [TOKEN, EMAIL], tag="Teams"),
    "GET /1/webpush/key.json": Op(
        "The server's Web Push (VAPID) public key", [], {"public_key": {"type": "string"}},
        errors=(), tag=T),  # no parameters: nothing to refuse
    "POST /1/devices/{device_id}/webpush.json": Op(
        "Store or remove a desktop device's Web Push subscription", [
            SECRET, text("endpoint", "the push service URL (empty: remove)", 2048),
            text("p256dh", "the subscription's public key (Base64url)", 200),
            text("auth", "the subscription's auth secret (Base64url)", 100)],
        {"webpush": {"type": "integer", "enum": [0, 1]}}, tag=T),
    "POST /1/dedup/{key}/resolve.json": Op(
        "Resolve a dedup key", [
            TOKEN, key("user", "only this recipient's message", False),
            text("message", "a resolution message to send", 1024),
            text("title", "its title", 250)], {"resolved": {"type": "integer"}}, tag=T,
        limit_headers=True),
    "GET /1/scheduled.json": Op(
        "List scheduled messages", [TOKEN], {"scheduled": OBJS}, tag=T),
    "POST /1/scheduled/{scheduled_id}/cancel.json": Op(
        "Cancel a scheduled message", [TOKEN], tag=T),
    "GET /1/heartbeats.json": Op(
        "List heartbeat monitors", [TOKEN], {"heartbeats": OBJS}, tag=T,
        limit_headers=True),
    "POST /1/heartbeats.json": Op(
        "Create a heartbeat monitor", [
            TOKEN, USER, text("name", "1-100 characters", 100, True),
            integer("period", "seconds between pings", 1, required=True),
            integer("grace", "seconds of slack after a missed period", 0),
            text("message", "the alert's text", 1024), integer("priority", "-2 to 2", -2, 2),
            integer("retry", "priority 2", 30), integer("expire", "priority 2", 1, 10800),
            text("sound", "the alert's sound", 20)],
        {"heartbeat": {"type": "string"}, "ping_url": {"type": "string"}}, tag=T,
        limit_headers=True),
    "GET /1/heartbeats/{key}/ping.json": Op(
        "Ping a heartbeat", [], {"state": {"type": "string"}, "stored": {"type": "integer"}},
        tag=T),
    "POST /1/heartbeats/{key}/ping.json": Op(
        "Ping a heartbeat", [], {"state": {"type": "string"}, "stored": {"type": "integer"}},
        tag=T),
    "POST /1/heartbeats/{key}/delete.json": Op(
        "Delete a heartbeat monitor", [TOKEN], tag=T, limit_headers=True),
    "GET /1/escalations.json": Op(
        "List escalation policies", [TOKEN], {"escalations": OBJS}, tag=T,
        limit_headers=True),
    "POST /1/escalations.json": Op(
        "Create an escalation policy", [
            TOKEN, text("name", "1-100 characters", 100, True),
            P("levels", 'a JSON list of {"user": KEY, "after": SECONDS}', {"type": "string"},
              True)],
        {"escalation": {"type": "integer", "description": "the policy's id"}}, tag=T,
        limit_headers=True),
    "POST /1/escalations/{policy}/delete.json": Op(
        "Delete an escalation policy", [TOKEN], tag=T, limit_headers=True),
    "GET /1/requests/{request}.json": Op(
        "Delivery status of a request", [TOKEN], {"recipients": OBJS},
        tag=T, limit_headers=True),
}
