"""Sending-side tables: attachments, delivery groups, custom sounds, glances, purchased capacity."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from overpush.models.base import Base, BigId, UtcDateTime


class Attachment(Base):
    """One image sent with a request; every message row of that request points at it, and it
    is deleted once no message does (so a group send stores the bytes once)."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Group(Base):
    """A delivery group; its key shares the 30-character namespace of user keys."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_key: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set on a team's delivery groups (owned by the team's administrator): sending to one of
    # them alone honours `device`. No foreign key: adding one would rebuild this table.
    team_id: Mapped[int | None] = mapped_column(BigId, nullable=True, index=True)


class GroupMember(Base):
    """A user in a group, optionally limited to one of their devices ("" = all devices)."""

    __tablename__ = "group_members"
    __table_args__ = (UniqueConstraint("group_id", "user_id", "device"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    device: Mapped[str] = mapped_column(String(25), default="")
    memo: Mapped[str] = mapped_column(String(200), default="")
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CustomSound(Base):
    """A sound an operator uploaded for one application (mp3 or wav, checked by magic bytes)."""

    __tablename__ = "custom_sounds"
    __table_args__ = (UniqueConstraint("app_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(String(100))
    extension: Mapped[str] = mapped_column(String(4))  # "mp3" or "wav"
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Glance(Base):
    """The latest glance fields for a user's device ("" = every device without its own)."""

    __tablename__ = "glances"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    device: Mapped[str] = mapped_column(String(25), primary_key=True)
    title: Mapped[str | None] = mapped_column(String(100), nullable=True)
    text: Mapped[str | None] = mapped_column(String(100), nullable=True)
    subtext: Mapped[str | None] = mapped_column(String(100), nullable=True)
    count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    percent: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AppCapacity(Base):
    """Purchased messages left for an application: used after the monthly allowance, never
    reset, consumed with conditional UPDATEs in the same transaction as the allowance."""

    __tablename__ = "app_capacity"

    app_id: Mapped[int] = mapped_column(
        ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True
    )
    remaining: Mapped[int] = mapped_column(Integer, default=0)
    purchased: Mapped[int] = mapped_column(Integer, default=0)  # all-time total, for reports
