"""Team tables: teams with their API token, members, and the emergency SMS timer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.expression import false

from overpush.models.base import Base, BigId, UtcDateTime


class Team(Base):
    """A team: its administrator, its API token (only the SHA-256 digest is kept) and how
    long an emergency message may go unacknowledged before members also get an SMS."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # None: no SMS for this team.
    sms_after_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The team's auto-updating delivery group (every member), made when first needed. No
    # foreign key, as for apps.team_id: adding one would rebuild this table on SQLite.
    group_id: Mapped[int | None] = mapped_column(BigId, nullable=True)


class TeamMember(Base):
    """A user in a team; an account belongs to at most one team."""

    __tablename__ = "team_members"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    administrator: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # The full name the team gave (add_user's `name`), shown in the team's listing.
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")


class TeamInvitation(Base):
    """A team's invitation to one account, waiting for the person to accept it from the link
    we mailed them or on their dashboard. Until then the team sees only the address it typed.
    `new_account`: the account was made by this invitation and stays unconfirmed until it is
    accepted (declining deletes it); `choose_password`: the team gave no password, so the
    person picks one when accepting."""

    __tablename__ = "team_invitations"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))  # as the team typed it
    name: Mapped[str] = mapped_column(String(100), default="")
    administrator: Mapped[bool] = mapped_column(Boolean, default=False)
    # The delivery group (a team group) the person joins with the team; None: only the
    # team's auto-updating group.
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="SET NULL"), nullable=True)
    new_account: Mapped[bool] = mapped_column(Boolean, default=False)
    choose_password: Mapped[bool] = mapped_column(Boolean, default=False)
    instant: Mapped[bool] = mapped_column(Boolean, default=False)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SmsAlert(Base):
    """The SMS timer of one team member for one emergency receipt: due at `due_at`, claimed
    (sent_at) by exactly one ticker, or skipped when the receipt was acknowledged first."""

    __tablename__ = "sms_alerts"

    receipt_id: Mapped[int] = mapped_column(
        ForeignKey("receipts.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True, index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
