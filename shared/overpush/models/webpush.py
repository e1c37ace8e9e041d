"""Web Push: the installation's VAPID key pair (device subscriptions live in devices.push_token,
as the platform table's Web Push channel says)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from overpush.models.base import Base, UtcDateTime


class VapidKey(Base):
    """The one key pair every replica signs Web Pushes with (row id 1), made on first start
    when the operator supplied none (OVERPUSH_VAPID_PRIVATE_KEY)."""

    __tablename__ = "vapid_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    private_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
