"""A database as the first round left it: every table of revision FIRST_ROUND_HEAD filled with
realistic rows, written in SQL against that revision's own tables (reflected from the
database, never today's models), the way the first-round code wrote them.

Every migration from then on must upgrade exactly such a database, including rows that later
rules may forbid: two addresses that differ only by case (Bob@example.com, bob@example.com),
an application URL with a `javascript:` scheme, a disabled device, an unconfirmed user.
tests/contract/test_migrations.py upgrades it to head on SQLite and PostgreSQL and reads it
back through the running application; add rows here only as the first round wrote them.
"""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import string
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from alembic import command
from argon2 import PasswordHasher
from overpush.db import alembic_config
from overpush.quota import period_of
from PIL import Image
from sqlalchemy import MetaData, Table
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

FIRST_ROUND_HEAD = "0010"  # shared/overpush/migrations/versions/0010_licensing.py
PASSWORD = "first round password"
ALNUM = string.ascii_letters + string.digits


def key(length: int = 30, alphabet: str = ALNUM) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 3), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


@dataclass
class FirstRound:
    """The keys and secrets of what was written, so a test can use it as its owners would."""

    now: datetime
    users: dict[str, str] = field(default_factory=dict)  # e-mail -> user key
    ann_totp: str = ""
    ann_secret: str = ""  # Ann's Open Client session
    laptop: str = ""  # public id of Ann's desktop device, with messages queued
    phones: list[str] = field(default_factory=list)  # Ann's iOS and Android device names
    web_session: str = ""  # Ann's browser session cookie
    backups: str = ""  # Ann's application (http URL, icon, sound, usage, subscription code)
    javascript_app: str = ""  # an application whose URL has a javascript: scheme
    team_token: str = ""
    group: str = ""
    receipt_open: str = ""
    receipt_acked: str = ""
    subscription: str = ""  # Bob's subscription key to Backups
    queued: list[str] = field(default_factory=list)  # texts waiting for the laptop
    attachment: bytes = b""
    alias: str = ""  # Ann's default e-mail alias (local part)
    used: int = 0  # Backups' usage this month
    outbox_event: str = ""


async def migrate_to(engine: AsyncEngine, revision: str) -> None:
    def upgrade(conn: Connection) -> None:
        cfg = alembic_config(str(engine.url))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)


async def fill_first_round(engine: AsyncEngine, now: datetime) -> FirstRound:
    """Fills an empty database at FIRST_ROUND_HEAD; `now` anchors every time in it."""
    async with engine.begin() as conn:
        return await conn.run_sync(lambda c: _fill(c, now))


class _Writer:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.meta = MetaData()
        self.meta.reflect(bind=conn)

    def add(self, table: str, **values: Any) -> int:
        """Inserts one row; returns its id (0 for tables keyed otherwise)."""
        t: Table = self.meta.tables[table]
        if "id" in t.c:
            return int(self.conn.execute(t.insert().returning(t.c.id), values).scalar_one())
        self.conn.execute(t.insert(), values)
        return 0


def _fill(conn: Connection, now: datetime) -> FirstRound:
    w, out = _Writer(conn), FirstRound(now)

    def ago(**kw: float) -> datetime:
        return now - timedelta(**kw)

    def later(**kw: float) -> datetime:
        return now + timedelta(**kw)

    hashed = PasswordHasher().hash(PASSWORD)

    def user(email: str, confirmed: bool = True, **extra: Any) -> int:
        out.users[email] = user_key = key()
        values: dict[str, Any] = dict(
            user_key=user_key, email=email, password_hash=hashed, created_at=ago(days=40),
            totp_enabled=False, email_confirmed_at=ago(days=40) if confirmed else None,
            timezone="UTC", default_sound="pushover")
        return w.add("users", **{**values, **extra})

    out.ann_totp = key(32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    ann = user("ann@example.com", totp_secret=out.ann_totp, totp_enabled=True,
               quiet_start="22:00", quiet_end="07:00", timezone="Europe/Berlin",
               default_sound="bike", device_salt=secrets.token_hex(32))
    bob = user("Bob@example.com")  # two accounts whose addresses differ only by case
    bob_lower = user("bob@example.com", confirmed=False)
    carol = user("carol@example.com", phone_number="+15550001111")
    user("dave@example.com", confirmed=False)  # signed up, never confirmed, nothing else

    # Devices: desktop, iOS, Android (encrypted), and a phone the vendor said was gone.
    out.laptop = key(40, string.ascii_lowercase + string.digits)
    laptop = w.add("devices", public_id=out.laptop, user_id=ann, name="laptop", os="O",
                   enabled=True, created_at=ago(days=30), last_seen_at=ago(minutes=5),
                   always_use_default_sound=False)
    out.phones = ["iphone", "pixel"]
    iphone = w.add("devices", public_id=key(40, string.ascii_lowercase + string.digits),
                   user_id=ann, name="iphone", os="I", enabled=True, created_at=ago(days=20),
                   push_token=secrets.token_hex(32), always_use_default_sound=True,
                   identifier_hash=secrets.token_hex(32))
    pixel = w.add("devices", public_id=key(40, string.ascii_lowercase + string.digits),
                  user_id=ann, name="pixel", os="A", enabled=True, created_at=ago(days=10),
                  push_token="fcm:" + key(140), always_use_default_sound=False,
                  encryption_key=secrets.token_urlsafe(32))
    w.add("devices", public_id=key(40, string.ascii_lowercase + string.digits), user_id=bob,
          name="oldphone", os="A", enabled=False, created_at=ago(days=35),
          push_token="fcm:" + key(140), always_use_default_sound=False,
          disabled_at=ago(days=2), disabled_reason="UNREGISTERED",
          disabled_notified_at=ago(days=2))
    w.add("devices", public_id=key(40, string.ascii_lowercase + string.digits), user_id=bob,
          name="desk", os="O", enabled=True, created_at=ago(days=35),
          always_use_default_sound=False)

    # Sessions: Open Client, browser (one waiting for its 2FA code), tokens, log-in limits.
    out.ann_secret = key(60)
    w.add("client_sessions", user_id=ann, secret_digest=sha256(out.ann_secret),
          created_at=ago(days=30))
    w.add("client_sessions", user_id=bob, secret_digest=sha256(key(60)), created_at=ago(days=9))
    out.web_session = secrets.token_urlsafe(32)
    w.add("web_sessions", digest=sha256(out.web_session), user_id=ann, pending_2fa=False,
          created_at=ago(hours=1), expires_at=later(days=29))
    w.add("web_sessions", digest=sha256(secrets.token_urlsafe(32)), user_id=bob,
          pending_2fa=True, created_at=ago(minutes=3), expires_at=later(days=30))
    w.add("account_tokens", digest=sha256(secrets.token_urlsafe(32)), user_id=bob_lower,
          purpose="confirm", expires_at=later(days=1))
    w.add("account_tokens", digest=sha256(secrets.token_urlsafe(32)), user_id=bob,
          purpose="reset", expires_at=ago(days=1), used_at=ago(days=2))
    w.add("login_attempts", key="email:bob@example.com", window_start=ago(minutes=10),
          failures=2)

    # Applications: an http URL with an icon, a sound and a subscription code; a javascript:
    # URL; the team's application; Ann's e-mail gateway application.
    out.backups = key()
    backups = w.add("apps", token=out.backups, name="Backups", owner_id=ann,
                    created_at=ago(days=30), description="nightly database backups",
                    url="http://backups.example.com/status", subscription_code=key(20),
                    clone_code=key(20))
    out.javascript_app = key()
    w.add("apps", token=out.javascript_app, name="Bookmarklet", owner_id=bob,
          created_at=ago(days=25), url="javascript:alert(document.cookie)", monthly_limit=100)
    w.add("app_icons", app_id=backups, png=png(), updated_at=ago(days=30))
    w.add("custom_sounds", app_id=backups, name="doorbell", description="Door bell",
          extension="mp3", data=b"ID3\x04\x00" + b"\x00" * 64, created_at=ago(days=29))
    out.team_token = key()
    team = w.add("teams", name="Ops", token_digest=sha256(out.team_token), admin_id=carol,
                 sms_after_seconds=300, created_at=ago(days=15))
    team_app = w.add("apps", token=key(), name="Ops pager", owner_id=carol,
                     created_at=ago(days=15), team_id=team)
    w.add("team_members", user_id=carol, team_id=team, administrator=True,
          created_at=ago(days=15))
    w.add("team_members", user_id=bob, team_id=team, administrator=False,
          created_at=ago(days=14))
    mail_app = w.add("apps", token=key(), name="E-mail", owner_id=ann, created_at=ago(days=40))
    w.add("mail_accounts", user_id=ann, app_id=mail_app, created_at=ago(days=40))
    out.alias = key(12, string.ascii_lowercase + string.digits)
    w.add("mail_aliases", user_id=ann, name=out.alias, is_default=True, priority=0,
          ignore_timestamps=False, created_at=ago(days=40))
    w.add("mail_aliases", user_id=ann, name="backups", is_default=False, sound="bike",
          priority=1, device="laptop", ignore_timestamps=True, created_at=ago(days=20))

    # Licences, subscriptions, quota.
    w.add("platform_licenses", user_id=ann, platform="O", trial_started_at=ago(days=30),
          licensed_at=ago(days=25))
    w.add("platform_licenses", user_id=ann, platform="I", trial_started_at=ago(days=3))
    w.add("license_credits", app_id=backups, credits=4)
    w.add("pending_licenses", email="erin@example.com", platform="A", app_id=backups,
          created_at=ago(days=1))
    w.add("pending_licenses", user_id=bob_lower, platform=None, app_id=backups,
          created_at=ago(days=1))
    out.subscription = key()
    w.add("subscriptions", subscription_key=out.subscription, app_id=backups, user_id=bob,
          sound="pushover", device=None, created_at=ago(days=5))
    out.used = 42
    w.add("app_usage", app_id=backups, period=period_of(now).key, used=out.used, last_take=1)
    w.add("app_usage", app_id=backups, period=period_of(ago(days=40)).key, used=7500,
          last_take=3)
    w.add("daily_usage", app_id=backups, day=now.date(), messages=out.used)
    w.add("app_capacity", app_id=backups, remaining=1000, purchased=1000)

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
    return out
