"""Delivery status per device (issue 17 §6): one row per (message, device) the dispatcher
queued, updated when a provider answers or the device downloads; and the signed status
callbacks waiting to be made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from overpush.models.base import Base, BigId, UtcDateTime


class DeviceStatus(Base):
    """Where one message stands on one device: queued, sent (the vendor took it), delivered
    (the device downloaded it) or failed (with the reason). Written with the queue row, so
    it outlives it: a device deletes its queue rows, the status stays for the sender. No
    foreign key to the message, which is deleted once every device has it."""

    __tablename__ = "device_statuses"

    message_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    device_id: Mapped[int] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    request_id: Mapped[str] = mapped_column(String(36))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    device_name: Mapped[str] = mapped_column(String(25))
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    callback: Mapped[str | None] = mapped_column(Text, nullable=True)  # status_callback


class StatusCallback(Base):
    """One signed POST of a status change to a message's status_callback URL, made by the
    receipts service with back-off (a timer like the receipts' callbacks)."""

    __tablename__ = "status_callbacks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # the JSON posted, fixed when the change happened
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(
        UtcDateTime, nullable=True, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


Index("ix_device_statuses_app_id_request_id", DeviceStatus.app_id, DeviceStatus.request_id)
