"""Core tables: users, applications, devices, messages and their queues, outbox, inbox."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from overpush.models.base import Base, BigId, UtcDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_key: Mapped[str] = mapped_column(String(30), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    # The address as an identity (overpush.users.email_key: trimmed, lower-case): one
    # account per address whatever its case, and the one key of every log-in and its limits.
    # Nullable only for the few case-duplicates an upgrade found (migration 0110); a unique
    # index, not a constraint, so adding it never rebuilt the table on SQLite.
    email_key: Mapped[str | None] = mapped_column(
        String(320), nullable=True, unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # None until the owner follows the link we e-mailed; applications need a confirmed address.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # The secret of a 2FA set-up in progress: the QR code stays the same until a code matches.
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # The 30-second step of the last TOTP code accepted: a code works once per account.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Alert settings (phones): quiet hours are "HH:MM" in the user's own IANA time zone.
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    default_sound: Mapped[str] = mapped_column(
        String(40), default="pushover", server_default="pushover"
    )
    # Hex key of HMAC-SHA256 over device identifiers (overpush/device_identity.py).
    device_salt: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # E.164 number for a team's unacknowledged-emergency SMS (`overpush admin team set-phone`).
    phone_number: Mapped[str | None] = mapped_column(String(20), nullable=True)


class App(Base):
    __tablename__ = "apps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    url: Mapped[str | None] = mapped_column(String(512), nullable=True)
    # None means the installation's default (Settings.app_monthly_limit).
    monthly_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Set when the application offers subscriptions (/subscribe/<code>) or may be cloned
    # (/apps/clone/<code>); None otherwise.
    # (Unique indexes, not constraints: adding them never rebuilds the table on SQLite.)
    subscription_code: Mapped[str | None] = mapped_column(
        String(30), nullable=True, unique=True, index=True)
    clone_code: Mapped[str | None] = mapped_column(
        String(30), nullable=True, unique=True, index=True)
    # The team this is the application of (25,000 messages a month); one per team. No
    # foreign key: adding one would rebuild this table on SQLite (teams are never deleted).
    team_id: Mapped[int | None] = mapped_column(BigId, nullable=True, unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Issue 17 §6: the key that signs status callbacks; after a rotation the previous key
    # also signs for 24 hours from `status_secret_rotated_at`.
    status_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_secret_old: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status_secret_rotated_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, nullable=True)


class ClientSession(Base):
    """An Open Client log-in; the secret itself is never stored, only its digest."""

    __tablename__ = "client_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    secret_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The device registered with this secret (the last one, if a client registered several):
    # who acknowledged a receipt, which device a log-out tells `E`, and which devices go when
    # the secret is revoked. No foreign key (adding one would rebuild the table on SQLite);
    # deleting a device clears it.
    device_id: Mapped[int | None] = mapped_column(BigId, nullable=True, index=True)


class Device(Base):
    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(25))
    os: Mapped[str] = mapped_column(String(1))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Phones: the APNs/FCM token, and the per-device AES key when the device asked for one.
    # Desktops: their Web Push subscription, if any (overpush/webpush.py).
    push_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    encryption_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    always_use_default_sound: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # HMAC-SHA256(owner's device_salt, hardware identifier): recognises a re-install. The
    # identifier itself is never stored.
    identifier_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    # Set when Apple, Google or a browser's push service said the token is gone; cleared by
    # registering (a phone) or subscribing (a desktop, which stays enabled) again.
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(60), nullable=True)
    # The owner's e-mail about the disabling: claimed (set) before sending, reset on failure.
    disabled_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Message(Base):
    """One message to one user; a request to several users makes one row each."""

    __tablename__ = "messages"
    # Ids are never reused (SQLite would reuse a deleted max rowid): clients dedupe by umid.
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str] = mapped_column(String(36))
    # Text, not String(n): an end-to-end encrypted field (base64 ciphertext) is longer than
    # the plaintext limits; validation bounds each field (intake/validate.py).
    title: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    sound: Mapped[str | None] = mapped_column(String(40), nullable=True)
    url: Mapped[str | None] = mapped_column(Text, nullable=True)
    url_title: Mapped[str | None] = mapped_column(Text, nullable=True)
    html: Mapped[bool] = mapped_column(Boolean, default=False)
    monospace: Mapped[bool] = mapped_column(Boolean, default=False)
    # Pushover's encrypted=1: title, body, url and url_title are ciphertext the server never
    # opens; devices decrypt them with the key their owner set.
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Comma-separated device names the sender asked for; None means all devices.
    devices: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the `timestamp` shown to the user
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # The request's image (attachments table); shared by every row of a group send.
    attachment_id: Mapped[int | None] = mapped_column(
        ForeignKey("attachments.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # Set once the dispatcher has written the per-device queue rows; makes fan-out idempotent.
    dispatched_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Issue 17 §6: where each status change of this message's devices is POSTed, signed.
    status_callback: Mapped[str | None] = mapped_column(Text, nullable=True)


class Delivery(Base):
    """A message waiting on one device; its id is the per-device `id` of the Open Client API."""

    __tablename__ = "deliveries"
    # Ids only grow per device (the Open Client API's sequence): never reuse deleted ones.
    __table_args__ = (UniqueConstraint("device_id", "message_id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Phone pushes that got RETRY: attempts so far and when the next one is due (None = none).
    push_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    push_retry_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, nullable=True, index=True
    )


class OutboxEvent(Base):
    """An event committed with the change it announces, published after commit (outbox)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    routing_key: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # A row whose publish failed is set aside on its own schedule (never deleted): how often
    # it failed, when it is due again (None: due now) and why, for `overpush admin outbox`.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class ProcessedEvent(Base):
    """Inbox: which consumer has applied which event, so redeliveries change nothing."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(60), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AppUsage(Base):
    """Messages an application has been admitted in one monthly period (exact admission)."""

    __tablename__ = "app_usage"

    app_id: Mapped[int] = mapped_column(
        ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[str] = mapped_column(String(7), primary_key=True)  # "YYYY-MM", US Central
    used: Mapped[int] = mapped_column(Integer, default=0)
    # How many of the last admission came from the allowance: the UPDATE sets it from the old
    # row, so a partial take (free first, then purchased) needs no read before the write.
    last_take: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class DailyUsage(Base):
    """Messages per application per day, kept by the quota service for usage charts."""

    __tablename__ = "daily_usage"

    app_id: Mapped[int] = mapped_column(
        ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    messages: Mapped[int] = mapped_column(Integer, default=0)


Index("ix_deliveries_device_id_id", Delivery.device_id, Delivery.id)
