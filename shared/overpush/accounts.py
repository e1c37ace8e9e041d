"""Accounts: sign-up, operator-made and team-invited users, confirmation, the one-time tokens
of account mails. Passwords (log-in, reset, change) are in credentials.py, TOTP in
two_factor.py.

An address is an identity by its `email_key` (trimmed, lower-case): one account per address
whatever its case, and the one key every log-in path looks up and throttles by.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import aliases, licenses, users
from overpush.errors import ApiError, E
from overpush.ids import digest, random_key
from overpush.mailer import make_mailer
from overpush.models import AccountToken, Group, User
from overpush.runtime import Runtime
from overpush.users import email_key

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
CONFIRM_TTL = timedelta(days=2)


class AccountError(ApiError):
    """A problem the person can fix; its text is shown on the form (or printed)."""


async def issue_token(session: AsyncSession, rt: Runtime, user_id: int, purpose: str,
                      ttl: timedelta) -> str:
    token = secrets.token_urlsafe(32)
    session.add(AccountToken(digest=digest(token), user_id=user_id, purpose=purpose,
                             expires_at=rt.clock.now() + ttl))
    return token


async def consume_token(session: AsyncSession, rt: Runtime, token: str,
                        purpose: str) -> int | None:
    """Use a one-time token: one conditional UPDATE, so a link works exactly once."""
    now = rt.clock.now()
    user_id: int | None = await session.scalar(
        update(AccountToken)
        .where(AccountToken.digest == digest(token), AccountToken.purpose == purpose,
               AccountToken.used_at.is_(None), AccountToken.expires_at > now)
        .values(used_at=now).returning(AccountToken.user_id)
    )
    return user_id


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError.of(E.PASSWORD_TOO_SHORT)


@dataclass(frozen=True)
class Mail:
    """A mail to send once the answer is out (so that its time tells nothing)."""

    to: str
    subject: str
    body: str

    async def send(self, rt: Runtime) -> None:
        await make_mailer(rt.settings).send(self.to, self.subject, self.body)


async def sign_up(rt: Runtime, email: str, password: str) -> Mail:
    """A new, unconfirmed account and its confirmation mail; for an address that already has
    an account, a mail to that address instead. The caller answers the same either way (it
    must not tell whether an address has an account) and sends the mail afterwards."""
    email = email.strip()
    if not EMAIL.match(email):
        raise AccountError.of(E.EMAIL_INVALID)
    check_password(password)
    user = User(user_key=random_key(), email=email, email_key=email_key(email),
                created_at=rt.clock.now(), password_hash=await rt.passwords.hash(password))
    try:
        async with rt.sessions() as session, session.begin():
            session.add(user)
            await session.flush()
            await aliases.ensure_account(session, rt, user.id)  # their e-mail gateway address
            token = await issue_token(session, rt, user.id, "confirm", CONFIRM_TTL)
    except IntegrityError:
        owner = await find_by_email(rt, email)
        return Mail(owner.email if owner else email, "Your Overpush account", (
            "Someone, perhaps you, tried to sign up for Overpush with this address. It "
            "already has an account, so nothing changed.\n\nTo log in, open "
            f"{rt.settings.base_url}/login\nForgot the password? Choose a new one at "
            f"{rt.settings.base_url}/reset\n\nIf it was not you, ignore this mail.\n"))
    return Mail(email, "Confirm your Overpush account", (
        f"Welcome to Overpush.\n\nConfirm your e-mail address by opening this link:\n\n"
        f"{rt.settings.base_url}/confirm/{token}\n\nThe link works for two days.\n"))


async def create_user(rt: Runtime, email: str, password: str) -> tuple[User, str]:
    """A user made by an operator (or a team administrator), who vouches for the address: no
    confirmation mail. Returns the user and its e-mail gateway address."""
    email = email.strip()
    if not EMAIL.match(email):
        raise AccountError.of(E.EMAIL_INVALID, f"not an e-mail address: {email!r}")
    if len(password) < MIN_PASSWORD:
        raise AccountError.of(E.PASSWORD_TOO_SHORT,
                              f"the password must have at least {MIN_PASSWORD} characters")
    key = random_key()
    async with rt.sessions() as session:  # user and group keys share one namespace
        while await session.scalar(select(exists().where(Group.group_key == key))):
            key = random_key()
    now = rt.clock.now()
    user = User(user_key=key, email=email, email_key=email_key(email),
                password_hash=await rt.passwords.hash(password),
                created_at=now, email_confirmed_at=now)
    try:
        async with rt.sessions() as session, session.begin():
            session.add(user)
            await session.flush()
            account = await aliases.ensure_account(session, rt, user.id)  # their address
            address = await aliases.default_address(session, rt, account.user_id)
            await licenses.claim_email(session, user.id, email, now)  # volume licensing
    except IntegrityError:
        raise AccountError.of(E.ACCOUNT_EXISTS,
                              f"a user with e-mail {email} already exists") from None
    return user, address


async def confirm(rt: Runtime, token: str) -> bool:
    """Confirm an address. Volume licences waiting for it are claimed now, never before:
    whoever signs up with an address has not shown it is theirs until this link."""
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        user_id = await consume_token(session, rt, token, "confirm")
        if user_id is None:
            return False
        user = await session.get(User, user_id)
        if user is None:
            return False
        first = user.email_confirmed_at is None
        user.email_confirmed_at = user.email_confirmed_at or now
        if first:
            await licenses.claim_email(session, user.id, user.email, now)
    return True


async def find_by_email(rt: Runtime, email: str) -> User | None:
    async with rt.sessions() as session:
        return await users.by_email(session, email)


async def invited_account(session: AsyncSession, rt: Runtime, email: str,
                          password_hash: str) -> int:
    """An account a team invited that did not exist yet: unconfirmed (its owner confirms it by
    accepting the invitation we mail), with its e-mail gateway address. Raises IntegrityError
    when the address was taken meanwhile."""
    key = random_key()
    while await session.scalar(select(exists().where(Group.group_key == key))):
        key = random_key()  # user and group keys share one namespace
    user = User(user_key=key, email=email.strip(), email_key=email_key(email),
                password_hash=password_hash, created_at=rt.clock.now())
    async with session.begin_nested():
        session.add(user)
        await session.flush()
    await aliases.ensure_account(session, rt, user.id)
    return user.id
