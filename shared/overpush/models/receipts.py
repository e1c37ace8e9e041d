"""Emergency-priority receipts: the repeat schedule, recipients, tags and callback deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from overpush.models.base import Base, BigId, UtcDateTime


class Receipt(Base):
    """One priority-2 request: re-alerted every `retry` s until acknowledged, cancelled or
    expired. `next_attempt_at` is the timer (NULL once nothing more is scheduled)."""

    __tablename__ = "receipts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    receipt: Mapped[str] = mapped_column(String(30), unique=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[str] = mapped_column(String(36))
    retry: Mapped[int] = mapped_column(Integer)
    expire: Mapped[int] = mapped_column(Integer)
    callback: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # re-alerts sent so far
    last_delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(30), nullable=True)
    acknowledged_by_device: Mapped[str | None] = mapped_column(String(25), nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Set with cancelled_at when the sender resolved the request's dedup key.
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Set when repetition stops for any reason; retention counts a week from here.
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    called_back_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Escalation (overpush.escalations): the policy's levels as they were when sent, the
    # highest level alerted so far and when, and the next level's timer (NULL: none left).
    escalation_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    escalation_levels: Mapped[str | None] = mapped_column(Text, nullable=True)
    escalation_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    next_level_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, nullable=True, index=True
    )


class ReceiptMessage(Base):
    """Which message rows (one per recipient user) a receipt covers. No foreign key to the
    message: devices may delete it once the receipt closes, the recipient list must stay."""

    __tablename__ = "receipt_messages"

    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    receipt_id: Mapped[int] = mapped_column(
        ForeignKey("receipts.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class ReceiptTag(Base):
    """A sender's tag on a receipt, for cancel_by_tag."""

    __tablename__ = "receipt_tags"

    receipt_id: Mapped[int] = mapped_column(
        ForeignKey("receipts.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(100), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))


class ReceiptCallback(Base):
    """The pending or finished POST to a receipt's callback URL (a timer like the receipt's)."""

    __tablename__ = "receipt_callbacks"

    receipt_id: Mapped[int] = mapped_column(
        ForeignKey("receipts.id", ondelete="CASCADE"), primary_key=True
    )
    url: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, nullable=True, index=True
    )
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)


Index("ix_receipts_next_attempt_at", Receipt.next_attempt_at)
Index("ix_receipt_tags_app_id_tag", ReceiptTag.app_id, ReceiptTag.tag)
