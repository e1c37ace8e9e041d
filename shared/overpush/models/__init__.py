"""Tables: one schema for SQLite and PostgreSQL (SQLAlchemy 2.0 typed mappings).

Each feature keeps its tables in its own module here; importing this package registers them
all on Base.metadata (which Alembic compares against).
"""

from overpush.models.base import Base, BigId, UtcDateTime
from overpush.models.core import (
    App,
    AppUsage,
    ClientSession,
    DailyUsage,
    Delivery,
    Device,
    Message,
    OutboxEvent,
    ProcessedEvent,
    User,
)
from overpush.models.mail import MailAccount, MailAlias
from overpush.models.receipts import Receipt, ReceiptCallback, ReceiptMessage, ReceiptTag
from overpush.models.web import AccountToken, AppIcon, LoginAttempts, WebSession

__all__ = [
    "AccountToken",
    "App",
    "AppIcon",
    "AppUsage",
    "Base",
    "BigId",
    "ClientSession",
    "DailyUsage",
    "Delivery",
    "Device",
    "LoginAttempts",
    "MailAccount",
    "MailAlias",
    "Message",
    "OutboxEvent",
    "ProcessedEvent",
    "Receipt",
    "ReceiptCallback",
    "ReceiptMessage",
    "ReceiptTag",
    "User",
    "UtcDateTime",
    "WebSession",
]
