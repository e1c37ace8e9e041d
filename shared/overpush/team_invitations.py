"""Team invitations: a team never enrols anyone by itself (security issue, item 8).

add_user invites: an existing account gets a mail with a link (and sees the invitation on its
dashboard) and joins only when its owner accepts; an address without an account gets a new,
unconfirmed account and the same kind of mail, and accepting confirms the address. Until the
person accepts, the team sees nothing about them but the address it typed itself, and the
answer to add_user is the same whether or not the address had an account.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import accounts, groups, licenses, teams, users
from overpush import revoke as revocation
from overpush.errors import ApiError, E
from overpush.ids import digest
from overpush.mailer import make_mailer
from overpush.models import (
    AccountToken,
    Team,
    TeamInvitation,
    TeamMember,
    User,
)
from overpush.runtime import Runtime

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
TTL = timedelta(days=7)  # as Pushover's Instant Login links
RESEND_AFTER = timedelta(hours=1)  # asking again sooner updates the invitation, mails nothing
MAX_PENDING = 1000  # per team


@dataclass(frozen=True)
class Invite:
    """add_user's parameters, checked."""

    email: str
    name: str
    administrator: bool
    group: str | None  # a team group's name, created if missing
    password: str  # "" = the person chooses one when accepting
    instant: bool


def check(email: str | None, name: str | None, administrator: bool, group: str | None,
          password: str | None, instant: bool) -> Invite:
    address = (email or "").strip()
    if not EMAIL.match(address) or len(address) > 320:
        raise ApiError.of(E.TEAM_EMAIL_INVALID)
    chosen = password or ""
    if chosen and len(chosen) < accounts.MIN_PASSWORD:
        raise ApiError.of(E.TEAM_PASSWORD_INVALID)
    group_name = (group or "").strip() or None
    return Invite(address, teams.member_name(name), administrator,
                  groups.group_name(group_name) if group_name else None, chosen, instant)


@dataclass(frozen=True)
class Pending:
    """An invitation as the invited person sees it."""

    id: int
    team: str
    email: str
    user_id: int
    new_account: bool
    choose_password: bool
    instant: bool
    expires_at: datetime


async def _user_id(session: AsyncSession, email: str) -> int | None:
    return await users.id_for_email(session, email)


async def invite(rt: Runtime, team: Team, inv: Invite) -> None:
    """Invite (or, for a member of this team already, update) the person; mail them."""
    now = rt.clock.now()
    # Hashed before the transaction (it takes a while); used only for a new account.
    password_hash = await rt.passwords.hash(inv.password or secrets.token_urlsafe(24))
    token: str | None = None
    new_account = False
    async with rt.sessions() as session, session.begin():
        group_id = (await teams.team_group(session, team, inv.group, now)).id \
            if inv.group else None
        user_id = await _user_id(session, inv.email)
        if user_id is not None and await teams.member_of(session, team.id, user_id):
            # Already theirs: nothing new is shown, so the changes apply at once (a field
            # left out changes nothing: no implicit demotion or blanking).
            changes: dict[str, object] = {"administrator": True} if inv.administrator else {}
            if inv.name:
                changes["name"] = inv.name
            if changes:
                await session.execute(update(TeamMember).where(
                    TeamMember.team_id == team.id, TeamMember.user_id == user_id)
                    .values(**changes))
            await teams.add_member(session, team.id, user_id, inv.administrator, now,
                                   group_id=group_id)
            return
        if user_id is None:
            try:
                user_id = await accounts.invited_account(session, rt, inv.email, password_hash)
                new_account = True
            except IntegrityError:  # made concurrently: invite that account
                user_id = await _user_id(session, inv.email)
                assert user_id is not None
        token = await _upsert(session, rt, team, inv, user_id, group_id, new_account, now)
    if token is not None:
        await _mail(rt, team, inv, token, new_account)


async def _upsert(session: AsyncSession, rt: Runtime, team: Team, inv: Invite, user_id: int,
                  group_id: int | None, new_account: bool, now: datetime) -> str | None:
    """Create or refresh the invitation; the new link's token when a mail is due."""
    old = await session.scalar(select(TeamInvitation).where(
        TeamInvitation.team_id == team.id, TeamInvitation.user_id == user_id))
    fields = {"email": inv.email, "name": inv.name, "administrator": inv.administrator,
              "group_id": group_id, "instant": inv.instant}
    if old is not None and old.expires_at > now and now - old.created_at < RESEND_AFTER:
        for k, v in fields.items():
            setattr(old, k, v)
        return None
    if old is None:
        pending = await session.scalar(select(func.count()).select_from(TeamInvitation).where(
            TeamInvitation.team_id == team.id, TeamInvitation.expires_at > now))
        if (pending or 0) >= MAX_PENDING:
            raise ApiError.of(E.TEAM_INVITATIONS_FULL)
    new = new_account or (old is not None and old.new_account)
    if new:  # accepting also confirms the address: the link is a confirmation token too
        token = await accounts.issue_token(session, rt, user_id, "confirm", TTL)
    else:
        token = secrets.token_urlsafe(32)
    if old is not None:
        await session.delete(old)
        await session.flush()
    session.add(TeamInvitation(
        team_id=team.id, user_id=user_id, new_account=new,
        choose_password=new and (not inv.password if old is None else old.choose_password),
        token_digest=digest(token), created_at=now, expires_at=now + TTL, **fields))
    return token


async def _mail(rt: Runtime, team: Team, inv: Invite, token: str, new_account: bool) -> None:
    link = f"{rt.settings.base_url}/invitations/{token}"
    visible = ("As a member, the team's administrators see your e-mail address, your user key "
               "and the names of your devices, and can send you notifications through the "
               "team's delivery groups.")
    if new_account:
        how = ("choose your password there" if not inv.password else
               "then log in with the password your team administrator gave you")
        extra = " The link also signs you in." if inv.instant else ""
        body = (f"The team {team.name} invited you to Overpush, a push notification service, "
                f"and made an account for {inv.email}.\n\n{visible}\n\nTo confirm your address "
                f"and join, open this link and accept ({how}).{extra}\n\n{link}\n\n"
                "The link works for seven days. If you do not want to join, decline there or "
                "ignore this mail: the account is not used until you accept.\n")
        subject = f"{team.name} invites you to Overpush"
    else:
        body = (f"The team {team.name} invited your Overpush account to join it.\n\n{visible}"
                f"\n\nYou join only if you accept. Open this link to accept or decline:\n\n"
                f"{link}\n\nor find the invitation on your dashboard. It works for seven days; "
                "if you ignore it, nothing changes.\n")
        subject = f"Invitation to join the team {team.name}"
    await make_mailer(rt.settings).send(inv.email, subject, body)


def _pending(inv: TeamInvitation, team_name: str) -> Pending:
    return Pending(inv.id, team_name, inv.email, inv.user_id, inv.new_account,
                   inv.choose_password, inv.instant, inv.expires_at)


async def by_token(rt: Runtime, token: str) -> Pending | None:
    async with rt.sessions() as session:
        row = (await session.execute(
            select(TeamInvitation, Team.name).join(Team, Team.id == TeamInvitation.team_id)
            .where(TeamInvitation.token_digest == digest(token),
                   TeamInvitation.expires_at > rt.clock.now()))).first()
    return None if row is None else _pending(row[0], row[1])


async def for_user(rt: Runtime, user_id: int) -> list[Pending]:
    """The person's pending invitations (their dashboard). Not those of an account the team
    made: whoever knows the password the team chose could sign in, so only the mailed link
    (proof of the mailbox) accepts those."""
    async with rt.sessions() as session:
        rows = (await session.execute(
            select(TeamInvitation, Team.name).join(Team, Team.id == TeamInvitation.team_id)
            .where(TeamInvitation.user_id == user_id, TeamInvitation.new_account.is_(False),
                   TeamInvitation.expires_at > rt.clock.now())
            .order_by(TeamInvitation.id))).all()
    return [_pending(i, n) for i, n in rows]


async def accept(rt: Runtime, pending: Pending, password: str | None = None) -> None:
    """Join: the membership, its groups and (for a new account) the confirmed address and
    chosen password take effect together. TEAM_MEMBER_ELSEWHERE if the person is in another
    team; the invitation then stays."""
    password_hash = None
    if pending.choose_password and password is not None:
        accounts.check_password(password)
        password_hash = await rt.passwords.hash(password)
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        inv = await session.scalar(delete(TeamInvitation).where(
            TeamInvitation.id == pending.id, TeamInvitation.expires_at > now)
            .returning(TeamInvitation))
        if inv is None:
            raise ApiError.of(E.TEAM_INVITATION_MISSING)
        await teams.add_member(session, inv.team_id, inv.user_id, inv.administrator, now,
                               inv.name, inv.group_id)
        if inv.new_account:
            # The account starts clean when its owner takes it: whoever knew the password the
            # team chose may have logged in meanwhile; those sessions and devices go.
            # Any socket they held gets `E`, once committed.
            revocation.tell_devices(session, rt,
                                    await revocation.everything(session, inv.user_id))
            user = await session.get(User, inv.user_id)
            assert user is not None
            if user.email_confirmed_at is None:
                user.email_confirmed_at = now
                await licenses.claim_email(session, user.id, user.email, now)
            if password_hash is not None:
                user.password_hash = password_hash
            await session.execute(update(AccountToken).where(
                AccountToken.digest == inv.token_digest, AccountToken.used_at.is_(None))
                .values(used_at=now))


async def decline(rt: Runtime, pending: Pending) -> None:
    """Say no: the invitation goes, and so does an account it made that was never used."""
    async with rt.sessions() as session, session.begin():
        await _drop(session, pending.id)


async def _drop(session: AsyncSession, invitation_id: int) -> bool:
    inv = await session.scalar(delete(TeamInvitation).where(
        TeamInvitation.id == invitation_id).returning(TeamInvitation))
    if inv is None:
        return False
    if inv.new_account:
        await session.execute(delete(User).where(
            User.id == inv.user_id, User.email_confirmed_at.is_(None)))
    return True


async def revoke(session: AsyncSession, team: Team, email: str) -> bool:
    """The team withdraws its invitation to `email` (the address it typed); whether one
    was pending."""
    found = await session.scalar(select(TeamInvitation.id).where(
        TeamInvitation.team_id == team.id,
        func.lower(TeamInvitation.email) == email.strip().lower()))
    return found is not None and await _drop(session, found)


async def team_view(session: AsyncSession, team: Team, now: datetime) -> list[dict[str, object]]:
    """Pending invitations as the team sees them: only what it typed itself."""
    rows = (await session.scalars(select(TeamInvitation).where(
        TeamInvitation.team_id == team.id, TeamInvitation.expires_at > now)
        .order_by(TeamInvitation.id))).all()
    return [{"email": i.email, "name": i.name, "administrator": bool(i.administrator),
             "expires": int(i.expires_at.timestamp())} for i in rows]
