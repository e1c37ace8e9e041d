"""Monitoring on the sending side: heartbeat (dead-man's switch) monitors and escalation
policies for emergencies."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from overpush.models.base import Base, BigId, UtcDateTime


class Heartbeat(Base):
    """A dead-man's switch: pinged by a job every `period` seconds; no ping for period +
    grace sends the message once (state "down"), the next ping a "recovered" one.
    `due_at` is the timer (NULL while down: nothing more is due until a ping)."""

    __tablename__ = "heartbeats"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(30), unique=True)  # the ping credential
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    user: Mapped[str] = mapped_column(String(30))  # a user or group key, as given
    name: Mapped[str] = mapped_column(String(100))
    period: Mapped[int] = mapped_column(Integer)
    grace: Mapped[int] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    retry: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expire: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sound: Mapped[str | None] = mapped_column(String(20), nullable=True)
    state: Mapped[str] = mapped_column(String(8))  # "new", "up" or "down"
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_ping_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    down_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    alerts: Mapped[int] = mapped_column(Integer, default=0)  # missed alerts sent so far
    alert_receipt: Mapped[str | None] = mapped_column(String(30), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)


class EscalationPolicy(Base):
    """An application's named list of levels for emergencies: `levels` is the JSON list
    [{"user": KEY, "after": SECONDS}, ...] as checked by overpush.escalations."""

    __tablename__ = "escalation_policies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    levels: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


Index("ix_heartbeats_app_id_name", Heartbeat.app_id, Heartbeat.name)
