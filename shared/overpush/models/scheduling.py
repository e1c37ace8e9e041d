"""Sending beyond Pushover: scheduled messages (`send_at`) and dedup keys (`dedup_key`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from overpush.models.base import Base, BigId, UtcDateTime


class ScheduledMessage(Base):
    """A message request accepted with `send_at`: its checked fields wait here, and the
    timer (`due_at`, NULL once sent, refused or cancelled) hands them to the intake then."""

    __tablename__ = "scheduled_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(30), unique=True)  # the answer's `scheduled`
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str] = mapped_column(String(36))
    receipt: Mapped[str | None] = mapped_column(String(30), nullable=True)  # priority 2
    draft: Mapped[str] = mapped_column(Text)  # the checked MessageDraft, as JSON
    send_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    refused_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    refusal: Mapped[str | None] = mapped_column(String(200), nullable=True)


class DedupKey(Base):
    """The open incident of a dedup key: the first request sent with it for this app and
    `user` value (keys sorted; `scope` is its SHA-256). Open while `resolved_at` is NULL and
    `expires_at` (opened + dedup_window) is ahead; a later send then opens it again."""

    __tablename__ = "dedup_keys"
    __table_args__ = (UniqueConstraint("app_id", "scope", "dedup_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(64))
    users: Mapped[str] = mapped_column(Text)
    dedup_key: Mapped[str] = mapped_column(String(100))
    request_id: Mapped[str] = mapped_column(String(36))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


Index("ix_dedup_keys_app_id_dedup_key", DedupKey.app_id, DedupKey.dedup_key)
