"""Web accounts: browser sessions, e-mailed one-time tokens, log-in rate limits, app icons,
2FA recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from overpush.models.base import Base, BigId, UtcDateTime


class WebSession(Base):
    """A signed-in browser. The cookie holds a random token; only its digest is stored."""

    __tablename__ = "web_sessions"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # True between a correct password and the second factor: the session may do nothing else.
    pending_2fa: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Last request seen (written at most every few minutes): a session unused for
    # OVERPUSH_WEB_SESSION_IDLE_MINUTES ends. None on rows older than migration 0110.
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class AccountToken(Base):
    """A one-time link sent by e-mail: confirm an address, or reset a password."""

    __tablename__ = "account_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # "confirm" | "reset"
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class LoginAttempts(Base):
    """Failed log-ins per key (an e-mail address or a client address) in a fixed window."""

    __tablename__ = "login_attempts"

    key: Mapped[str] = mapped_column(String(340), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime)
    failures: Mapped[int] = mapped_column(Integer, default=0)


class AppIcon(Base):
    """An application's icon, checked and resized to 72x72 PNG when uploaded."""

    __tablename__ = "app_icons"

    app_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True
    )
    png: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RecoveryCode(Base):
    """A one-time code that stands in for the second factor; only its digest is stored."""

    __tablename__ = "recovery_codes"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
