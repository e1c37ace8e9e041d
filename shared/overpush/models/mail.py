"""E-mail gateway tables: each user's gateway application and their e-mail aliases."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from overpush.models.base import Base, BigId, UtcDateTime


class MailAccount(Base):
    """A user's "E-mail" application: mail to their aliases is sent (and counted) as it."""

    __tablename__ = "mail_accounts"

    # The primary key makes creation race-free: a second concurrent creator fails and rolls
    # back its application together with its row.
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class MailAlias(Base):
    """One address <name>@<mail domain>, with the options its notifications get."""

    __tablename__ = "mail_aliases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The local part, lower case; the domain is a setting, so a domain change keeps aliases.
    name: Mapped[str] = mapped_column(String(64), unique=True)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    sound: Mapped[str | None] = mapped_column(String(40), nullable=True)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    device: Mapped[str | None] = mapped_column(String(25), nullable=True)
    ignore_timestamps: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
