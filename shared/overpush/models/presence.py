"""Presence: which api instance holds which device's WebSocket (overpush.presence)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from overpush.models.base import Base, UtcDateTime


class ApiInstance(Base):
    """An api process that holds device WebSockets. Its presence rows are trusted until
    `expires_at`, which its heartbeat renews; a process killed outright stops renewing."""

    __tablename__ = "api_instances"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))  # for operators: which pod or machine
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class DevicePresence(Base):
    """The device's newest WebSocket log-in: the instance holding it and the connection.
    Keyed by the public id, with no foreign key: a device deleted while connected still
    needs its `E` routed, and its row goes when that connection closes."""

    __tablename__ = "device_presence"

    device: Mapped[str] = mapped_column(String(40), primary_key=True)
    instance: Mapped[str] = mapped_column(String(32), index=True)
    conn: Mapped[str] = mapped_column(String(32))  # the connection (Peer.ident) it was for
    since: Mapped[datetime] = mapped_column(UtcDateTime)
    # The instance that held the device before this log-in, set by the upsert itself so the
    # log-in learns it atomically: that instance's older connection is told `A`.
    previous: Mapped[str | None] = mapped_column(String(32), nullable=True)
