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
from overpush.models.delivery_status import DeviceStatus, StatusCallback
from overpush.models.licensing import LicenseCredits, PendingLicense, PlatformLicense
from overpush.models.mail import MailAccount, MailAlias
from overpush.models.monitors import EscalationPolicy, Heartbeat
from overpush.models.presence import ApiInstance, DevicePresence
from overpush.models.receipts import Receipt, ReceiptCallback, ReceiptMessage, ReceiptTag
from overpush.models.scheduling import DedupKey, ScheduledMessage
from overpush.models.sending import (
    AppCapacity,
    Attachment,
    CustomSound,
    Glance,
    Group,
    GroupMember,
)
from overpush.models.subscriptions import Subscription
from overpush.models.teams import SmsAlert, Team, TeamInvitation, TeamMember
from overpush.models.web import AccountToken, AppIcon, LoginAttempts, RecoveryCode, WebSession
from overpush.models.webpush import VapidKey

__all__ = [
    "AccountToken",
    "ApiInstance",
    "App",
    "AppCapacity",
    "AppIcon",
    "AppUsage",
    "Attachment",
    "Base",
    "BigId",
    "ClientSession",
    "CustomSound",
    "DailyUsage",
    "DedupKey",
    "Delivery",
    "Device",
    "DevicePresence",
    "DeviceStatus",
    "EscalationPolicy",
    "Glance",
    "Group",
    "GroupMember",
    "Heartbeat",
    "LicenseCredits",
    "LoginAttempts",
    "MailAccount",
    "MailAlias",
    "Message",
    "OutboxEvent",
    "PendingLicense",
    "PlatformLicense",
    "ProcessedEvent",
    "Receipt",
    "ReceiptCallback",
    "ReceiptMessage",
    "ReceiptTag",
    "RecoveryCode",
    "ScheduledMessage",
    "SmsAlert",
    "StatusCallback",
    "Subscription",
    "Team",
    "TeamInvitation",
    "TeamMember",
    "User",
    "UtcDateTime",
    "VapidKey",
    "WebSession",
]
