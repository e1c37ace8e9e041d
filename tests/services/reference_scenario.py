"""Every documented operation, called for real: one success each (with the user, app,
device, group, receipt... it needs made first) and at least one documented refusal. The order
is fixed, so the recorded examples are the same on every run."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from overpush.clock import unix
from overpush.models import User
from sqlalchemy import update

from services.admin import licenses as admin_licensing
from services.admin import subscriptions as admin_subscriptions
from services.admin import teams as admin_teams
from services.runner import Runner
from tests.factories import PASSWORD, Person, image_bytes
from tests.fakes.webpush import BrowserSubscription
from tests.services.reference_calls import Caller

BAD_TOKEN = {"token": "a" * 30}
BAD_SECRET = {"secret": "wrong"}
# The Web Push endpoint: on loopback (the test allows private callbacks), never reached.
ENDPOINT = "https://127.0.0.1:9/push/v1/laptop"


async def pushover(c: Caller, ann: Person, bob: Person, token: str) -> None:
    """Messages, receipts, sounds, validation, limits, glances, groups."""
    sent = await c.call("POST /1/messages.json", {"token": token, "user": ann.key,
                                                  "message": "Backup finished",
                                                  "title": "nightly"})
    await c.call("POST /1/messages.json", {**BAD_TOKEN, "user": ann.key, "message": "x"},
                 expect=400)
    # Its status exists once it is dispatched: when it reaches Ann's laptop (which says "!").
    while not any(m["message"] == "Backup finished" for m in await ann.device.download(c.http)):
        await ann.device.frame_other_than_keepalive()
    await c.call("GET /1/requests/{request}.json", {"token": token},
                 f"/1/requests/{sent['request']}.json")
    await c.call("GET /1/requests/{request}.json", BAD_TOKEN,
                 f"/1/requests/{sent['request']}.json", expect=400)
    emergency = {"token": token, "user": ann.key, "priority": "2", "retry": "60",
                 "expire": "3600", "tags": "deploy"}
    r1 = (await c.call("POST /1/messages.json", {**emergency, "message": "Disk full"}))["receipt"]
    r2 = (await c.call("POST /1/messages.json", {**emergency, "message": "Load high"}))["receipt"]
    r3 = (await c.call("POST /1/messages.json", {**emergency, "message": "Swap"}))["receipt"]
    op = "GET /1/receipts/{receipt}.json"
    await c.call(op, {"token": token}, f"/1/receipts/{r1}.json")
    await c.call(op, BAD_TOKEN, f"/1/receipts/{r1}.json", expect=400)
    op = "POST /1/receipts/{receipt}/acknowledge.json"
    dev = ann.device
    await c.call(op, {"secret": dev.secret, "device_id": dev.device_id},
                 f"/1/receipts/{r1}/acknowledge.json")
    await c.call(op, BAD_SECRET, f"/1/receipts/{r1}/acknowledge.json", expect=400)
    op = "POST /1/receipts/{receipt}/cancel.json"
    await c.call(op, {"token": token}, f"/1/receipts/{r2}/cancel.json")
    await c.call(op, BAD_TOKEN, f"/1/receipts/{r2}/cancel.json", expect=400)
    op = "POST /1/receipts/cancel_by_tag/{tag}.json"
    await c.call(op, {"token": token}, "/1/receipts/cancel_by_tag/deploy.json")
    await c.call(op, BAD_TOKEN, "/1/receipts/cancel_by_tag/deploy.json", expect=400)
    assert r3
    for op in ("GET /1/sounds.json", "GET /1/apps/limits.json"):
        await c.call(op, {"token": token})
        await c.call(op, BAD_TOKEN, expect=400)
    await c.call("POST /1/users/validate.json", {"token": token, "user": ann.key})
    await c.call("POST /1/users/validate.json", {"token": token, "user": ann.key,
                                                 "device": "nosuch"}, expect=400)
    await c.call("POST /1/glances.json", {"token": token, "user": ann.key, "title": "Disk",
                                          "text": "72% used", "percent": "72"})
    await c.call("POST /1/glances.json", {"token": token, "user": ann.key, "percent": "101"},
                 expect=400)
    await groups(c, ann, bob, token)


async def groups(c: Caller, ann: Person, bob: Person, token: str) -> None:
    group = (await c.call("POST /1/groups.json", {"token": token, "name": "Ops"}))["group"]
    await c.call("POST /1/groups.json", {"token": token, "name": ""}, expect=400)
    await c.call("GET /1/groups.json", {"token": token})
    await c.call("GET /1/groups.json", BAD_TOKEN, expect=400)
    for action, params in (("add_user", {"user": bob.key, "memo": "on call"}),
                           ("add_user", {"user": ann.key}),
                           ("disable_user", {"user": bob.key}),
                           ("enable_user", {"user": bob.key}),
                           ("rename", {"name": "On call"}),
                           ("remove_user", {"user": bob.key}),
                           ("add_user", {"user": bob.key}),
                           ("delete_user", {"user": bob.key})):
        op = f"POST /1/groups/{{key}}/{action}.json"
        await c.call(op, {"token": token, **params}, f"/1/groups/{group}/{action}.json")
        await c.call(op, {**BAD_TOKEN, **params}, f"/1/groups/{group}/{action}.json",
                     expect=400)
    await c.call("GET /1/groups/{key}.json", {"token": token}, f"/1/groups/{group}.json")
    await c.call("GET /1/groups/{key}.json", {"token": token}, f"/1/groups/{'g' * 30}.json",
                 expect=400)


async def sales(c: Caller, server: Runner, bob: Person, token: str) -> None:
    """Licences and subscriptions (the operator grants the credits and the code first)."""
    await admin_licensing.add_credits(server.rt, token, 3)
    await c.call("GET /1/licenses.json", {"token": token})
    await c.call("GET /1/licenses.json", BAD_TOKEN, expect=400)
    await c.call("POST /1/licenses/assign.json", {"token": token, "user": bob.key,
                                                  "os": "Desktop"})
    await c.call("POST /1/licenses/assign.json", {"token": token, "os": "Desktop"}, expect=400)
    code = (await admin_subscriptions.offer_subscriptions(server.rt, token))["subscription"]
    op = "POST /1/subscriptions/migrate.json"
    await c.call(op, {"token": token, "subscription": code, "user": bob.key})
    await c.call(op, {"token": token, "subscription": "wrong", "user": bob.key}, expect=400)


async def open_client(c: Caller, server: Runner, ann: Person, bob: Person) -> None:
    """The Open Client API: log-in, devices, messages, attachments, settings."""
    email = ann.account.email
    login = await c.call("POST /1/users/login.json", {"email": email, "password": PASSWORD})
    await c.call("POST /1/users/login.json", {"email": email, "password": "not it"},
                 expect=400)
    async with server.rt.sessions() as session, session.begin():  # Bob turned 2FA on
        await session.execute(update(User).where(User.user_key == bob.key).values(
            totp_enabled=True, totp_secret="JBSWY3DPEHPK3PXP"))
    await c.call("POST /1/users/login.json", {"email": bob.account.email,
                                              "password": PASSWORD}, expect=412)
    secret, dev = login["secret"], ann.device
    tablet = await c.call("POST /1/devices.json", {"secret": secret, "name": "tablet",
                                                   "os": "O"})
    await c.call("POST /1/devices.json", {"secret": secret, "name": "bad name", "os": "O"},
                 expect=400)
    op = "POST /1/devices/{device_id}/settings.json"
    await c.call(op, {"secret": secret, "always_use_default_sound": "1"},
                 f"/1/devices/{tablet['id']}/settings.json")
    await c.call(op, BAD_SECRET, f"/1/devices/{tablet['id']}/settings.json", expect=400)
    op = "POST /1/devices/{device_id}/delete.json"
    await c.call(op, {"secret": secret}, f"/1/devices/{tablet['id']}/delete.json")
    await c.call(op, {"secret": secret}, f"/1/devices/{tablet['id']}/delete.json", expect=400)
    await c.call("POST /1/users/settings.json", {"secret": secret, "quiet_start": "22:00",
                                                 "quiet_end": "07:00", "timezone": "UTC"})
    await c.call("POST /1/users/settings.json", {"secret": secret, "timezone": "Nowhere/No"},
                 expect=400)
    await c.call("POST /1/users/logout.json", {"secret": secret})
    await c.call("POST /1/users/logout.json", {"secret": secret}, expect=400)
    mine = {"secret": dev.secret, "device_id": dev.device_id}
    messages = await c.call("GET /1/messages.json", mine)
    await c.call("GET /1/messages.json", {**mine, **BAD_SECRET}, expect=400)
    (picture,) = [m for m in messages["messages"] if "attachment" in m]
    name = picture["attachment"].rsplit("/", 1)[1]
    await c.call("GET /1/attachments/{name}", mine, f"/1/attachments/{name}")
    await c.call("GET /1/attachments/{name}", mine, "/1/attachments/999999.png", expect=404)
    await c.call("GET /1/attachments/{name}", {**mine, **BAD_SECRET}, f"/1/attachments/{name}",
                 expect=400)
    await c.call("GET /1/glances.json", mine)
    await c.call("GET /1/glances.json", {**mine, **BAD_SECRET}, expect=400)
    op = "POST /1/devices/{device_id}/update_highest_message.json"
    path = f"/1/devices/{dev.device_id}/update_highest_message.json"
    highest = str(max(m["id"] for m in messages["messages"]))
    await c.call(op, {"secret": dev.secret, "message": highest}, path)
    await c.call(op, {"secret": dev.secret, "message": "x"}, path, expect=400)
    await c.call("GET /1/webpush/key.json", {})
    op = "POST /1/devices/{device_id}/webpush.json"
    path = f"/1/devices/{dev.device_id}/webpush.json"
    await c.call(op, {"secret": dev.secret, "endpoint": ENDPOINT,
                      **BrowserSubscription.make().keys()}, path)
    await c.call(op, {"secret": dev.secret, "endpoint": "http://example.com/"}, path,
                 expect=400)


async def attachment(c: Caller, ann: Person, token: str) -> None:
    image = base64.b64encode(image_bytes()).decode()
    await c.call("POST /1/messages.json", {"token": token, "user": ann.key,
                                           "message": "Camera", "attachment_base64": image,
                                           "attachment_type": "image/png"})


async def additions(c: Caller, server: Runner, ann: Person, bob: Person, token: str) -> None:
    """E-mail addresses, teams, dedup, scheduled messages, heartbeats, escalations."""
    secret = {"secret": ann.device.secret}
    alias = (await c.call("POST /1/aliases.json", {**secret, "name": "backups"}))["alias"]
    await c.call("POST /1/aliases.json", {**secret, "name": "x"}, expect=400)
    await c.call("GET /1/aliases.json", secret)
    await c.call("GET /1/aliases.json", BAD_SECRET, expect=400)
    op = "POST /1/aliases/{alias}/delete.json"
    await c.call(op, secret, f"/1/aliases/{alias['alias']}/delete.json")
    await c.call(op, secret, f"/1/aliases/{alias['alias']}/delete.json", expect=400)
    team = await admin_teams.create_team(server.rt, "Crew", ann.account.email)
    crew = {"token": team["token"]}
    await admin_teams.add_member(server.rt, "Crew", bob.account.email)
    await c.call("GET /1/teams.json", crew)
    await c.call("GET /1/teams.json", BAD_TOKEN, expect=400)
    for action, email in (("add_user", "new@example.com"),
                          ("revoke_invitation", "new@example.com"),
                          ("remove_user", bob.account.email)):
        await c.call(f"POST /1/teams/{action}.json", {**crew, "email": email})
        await c.call(f"POST /1/teams/{action}.json", {**BAD_TOKEN, "email": email},
                     expect=400)
    await c.call("POST /1/messages.json", {"token": token, "user": ann.key, "message": "Down",
                                           "dedup_key": "db-down"})
    op = "POST /1/dedup/{key}/resolve.json"
    await c.call(op, {"token": token, "message": "Up again"}, "/1/dedup/db-down/resolve.json")
    await c.call(op, BAD_TOKEN, "/1/dedup/db-down/resolve.json", expect=400)
    later = unix(server.rt.clock.now() + timedelta(hours=1))
    sent = await c.call("POST /1/messages.json", {"token": token, "user": ann.key,
                                                  "message": "Later", "send_at": str(later)})
    await c.call("GET /1/scheduled.json", {"token": token})
    await c.call("GET /1/scheduled.json", BAD_TOKEN, expect=400)
    op = "POST /1/scheduled/{scheduled_id}/cancel.json"
    await c.call(op, {"token": token}, f"/1/scheduled/{sent['scheduled']}/cancel.json")
    await c.call(op, BAD_TOKEN, f"/1/scheduled/{sent['scheduled']}/cancel.json", expect=400)
    await monitors(c, ann, token)


async def monitors(c: Caller, ann: Person, token: str) -> None:
    hb = await c.call("POST /1/heartbeats.json", {"token": token, "user": ann.key,
                                                  "name": "nightly backup", "period": "86400",
                                                  "grace": "3600"})
    await c.call("POST /1/heartbeats.json", {"token": token, "user": ann.key, "name": "x",
                                             "period": "0"}, expect=400)
    await c.call("GET /1/heartbeats.json", {"token": token})
    await c.call("GET /1/heartbeats.json", BAD_TOKEN, expect=400)
    for method in ("GET", "POST"):
        op = f"{method} /1/heartbeats/{{key}}/ping.json"
        await c.call(op, {}, f"/1/heartbeats/{hb['heartbeat']}/ping.json")
        await c.call(op, {}, f"/1/heartbeats/{'h' * 30}/ping.json", expect=400)
    op = "POST /1/heartbeats/{key}/delete.json"
    await c.call(op, BAD_TOKEN, f"/1/heartbeats/{hb['heartbeat']}/delete.json", expect=400)
    await c.call(op, {"token": token}, f"/1/heartbeats/{hb['heartbeat']}/delete.json")
    levels = json.dumps([{"user": ann.key, "after": 0}])
    policy = await c.call("POST /1/escalations.json", {"token": token, "name": "on call",
                                                       "levels": levels})
    await c.call("POST /1/escalations.json", {"token": token, "name": "on call",
                                              "levels": "[]"}, expect=400)
    await c.call("GET /1/escalations.json", {"token": token})
    await c.call("GET /1/escalations.json", BAD_TOKEN, expect=400)
    op = "POST /1/escalations/{policy}/delete.json"
    path = f"/1/escalations/{policy['escalation']}/delete.json"
    await c.call(op, BAD_TOKEN, path, expect=400)
    await c.call(op, {"token": token}, path)
