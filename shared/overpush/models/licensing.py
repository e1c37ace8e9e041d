"""Licensing tables: per-platform licence state, pending grants, application licence credits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from overpush.models.base import Base, BigId, UtcDateTime


class PlatformLicense(Base):
    """One account's state on one platform (os "I", "A" or "O"): when its trial began (its
    first device of that platform) and whether a licence covers it."""

    __tablename__ = "platform_licenses"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    platform: Mapped[str] = mapped_column(String(1), primary_key=True)
    trial_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    licensed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)


class PendingLicense(Base):
    """A licence granted but not yet bound: to an e-mail address with no account yet (volume
    licensing), or without a platform ("first platform the user registers", spec §8.2)."""

    __tablename__ = "pending_licenses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    platform: Mapped[str | None] = mapped_column(String(1), nullable=True)
    app_id: Mapped[int | None] = mapped_column(
        ForeignKey("apps.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class LicenseCredits(Base):
    """Licence credits an application may spend with /1/licenses/assign.json."""

    __tablename__ = "license_credits"

    app_id: Mapped[int] = mapped_column(
        ForeignKey("apps.id", ondelete="CASCADE"), primary_key=True
    )
    credits: Mapped[int] = mapped_column(Integer, default=0)
