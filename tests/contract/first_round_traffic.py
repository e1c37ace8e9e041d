"""The first round's traffic (part of first_round.py's fill): messages waiting for devices
(one with an attachment, one not yet dispatched), a glance, emergency receipts (repeating, with
an SMS due, acknowledged), a delivery group, and the bus's outbox and dedupe records."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from tests.contract.first_round_people import People
from tests.contract.first_round_rows import Writer, key, png


def write_traffic(w: Writer, p: People) -> None:
    out, ago, later = w.out, w.ago, w.later
    ann, bob, bob_lower, carol = p.ann, p.bob, p.bob_lower, p.carol
    laptop, iphone, pixel, backups, team_app = (p.laptop, p.iphone, p.pixel, p.backups,
                                                p.team_app)

    # Messages waiting for devices, one with an attachment, one an emergency; glances.
    out.attachment = png()
    attachment = w.add("attachments", content_type="image/png", size=len(out.attachment),
                       data=out.attachment, created_at=ago(minutes=30))

    def message(text: str, **extra: Any) -> int:
        values: dict[str, Any] = dict(
            app_id=backups, user_id=ann, request_id=str(uuid.uuid4()), title="Backups",
            body=text, priority=0, html=False, monospace=False, sent_at=ago(minutes=30),
            created_at=ago(minutes=30), dispatched_at=ago(minutes=30))
        return w.add("messages", **{**values, **extra})

    plain = message("db1 backed up in 16 minutes", url="https://backups.example.com/1",
                    url_title="Log", sound="doorbell")
    picture = message("<b>graph</b> attached", html=True, attachment_id=attachment,
                      expires_at=later(days=1))
    out.queued = ["db1 backed up in 16 minutes", "<b>graph</b> attached"]
    for m in (plain, picture):
        w.add("deliveries", device_id=laptop, message_id=m, created_at=ago(minutes=30))
    w.add("deliveries", device_id=iphone, message_id=plain, created_at=ago(minutes=30))
    w.add("deliveries", device_id=pixel, message_id=plain, created_at=ago(minutes=30),
          push_attempts=2, push_retry_at=later(minutes=1))
    undispatched = message("queued before a restart", dispatched_at=None)
    w.add("glances", user_id=ann, device="", title="Disk", text="81%", count=3, percent=81,
          updated_at=ago(minutes=2))

    # Emergency receipts: Ann's still repeating (a callback and a tag), the team's repeating
    # with an SMS due to Carol, and one Carol acknowledged (its callback made).
    def receipt(app: int, text: str, to: int, devices: str | None = None,
                **extra: Any) -> tuple[str, int, int]:
        values: dict[str, Any] = dict(
            receipt=key(), app_id=app, request_id=str(uuid.uuid4()), retry=60, expire=3600,
            created_at=ago(minutes=30), expires_at=later(minutes=30),
            next_attempt_at=later(seconds=30), attempts=30, last_delivered_at=ago(seconds=30))
        values.update(extra)
        row = w.add("receipts", **values)
        created = values["created_at"]
        sent = message(text, app_id=app, user_id=to, priority=2, sent_at=created,
                       created_at=created, dispatched_at=created, devices=devices)
        w.add("receipt_messages", message_id=sent, receipt_id=row, user_id=to)
        return values["receipt"], row, sent

    out.receipt_open, mine, urgent = receipt(backups, "db2 backup failed", ann, devices="laptop",
                                     callback="https://hooks.example.com/ack")
    w.add("receipt_tags", receipt_id=mine, tag="db2", app_id=backups)
    w.add("deliveries", device_id=laptop, message_id=urgent, created_at=ago(minutes=30))
    out.queued.append("db2 backup failed")
    _, paging, _ = receipt(team_app, "page: db3 down", carol)
    w.add("sms_alerts", receipt_id=paging, user_id=carol, due_at=later(minutes=5))
    out.receipt_acked, acked, _ = receipt(
        team_app, "page: disk full", carol, retry=30, expire=600, created_at=ago(hours=3),
        expires_at=ago(hours=3) + timedelta(seconds=600), next_attempt_at=None, attempts=2,
        last_delivered_at=ago(hours=3), acknowledged_at=ago(hours=3),
        acknowledged_by=out.users["carol@example.com"], acknowledged_by_device="pager",
        closed_at=ago(hours=3), callback="https://hooks.example.com/ack",
        called_back_at=ago(hours=3))
    w.add("receipt_tags", receipt_id=acked, tag="disk", app_id=team_app)
    w.add("receipt_callbacks", receipt_id=acked, url="https://hooks.example.com/ack",
          attempts=1, delivered_at=ago(hours=3))
    w.add("sms_alerts", receipt_id=acked, user_id=carol, due_at=None, sent_at=None,
          outcome="acknowledged")

    # A delivery group: a whole user, one device of a user, and a disabled member.
    out.group = key()
    group = w.add("groups", group_key=out.group, name="On call", owner_id=ann,
                  created_at=ago(days=12))
    for member, device, memo, disabled in ((ann, "", "me", False), (bob, "oldphone", "Bob",
                                           False), (bob_lower, "", "bob, lower case", True)):
        w.add("group_members", group_id=group, user_id=member, device=device, memo=memo,
              disabled=disabled, created_at=ago(days=12))

    # The bus: an event committed but not yet published, and one consumer's dedupe record.
    out.outbox_event = uuid.uuid4().hex
    w.add("outbox", event_id=out.outbox_event, routing_key="message.accepted",
          body=json.dumps({"event_id": out.outbox_event, "message_ids": [undispatched],
                           "app_id": backups, "priority": 0}), created_at=ago(seconds=2))
    w.add("processed_events", consumer="quota", event_id=uuid.uuid4().hex,
          processed_at=ago(minutes=30))
