"""Accounts: sign-up and operator-made users, confirmation, log-in, password reset, TOTP."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pyotp
from sqlalchemy import delete, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import aliases, licenses
from overpush.errors import ApiError, E
from overpush.ids import digest, random_key
from overpush.mailer import make_mailer
from overpush.models import AccountToken, Group, RecoveryCode, User
from overpush.runtime import Runtime

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
CONFIRM_TTL = timedelta(days=2)
RESET_TTL = timedelta(hours=1)


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


async def sign_up(rt: Runtime, email: str, password: str) -> User:
    email = email.strip()
    if not EMAIL.match(email):
        raise AccountError.of(E.EMAIL_INVALID)
    check_password(password)
    user = User(user_key=random_key(), email=email, created_at=rt.clock.now(),
                password_hash=await rt.passwords.hash(password))
    try:
        async with rt.sessions() as session, session.begin():
            session.add(user)
            await session.flush()
            await aliases.ensure_account(session, rt, user.id)  # their e-mail gateway address
            await licenses.claim_email(session, user.id, email, rt.clock.now())
            token = await issue_token(session, rt, user.id, "confirm", CONFIRM_TTL)
    except IntegrityError:
        raise AccountError.of(E.ACCOUNT_EXISTS) from None
    await make_mailer(rt.settings).send(
        email, "Confirm your Overpush account",
        f"Welcome to Overpush.\n\nConfirm your e-mail address by opening this link:\n\n"
        f"{rt.settings.base_url}/confirm/{token}\n\nThe link works for two days.\n",
    )
    return user


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
    user = User(user_key=key, email=email, password_hash=await rt.passwords.hash(password),
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
    async with rt.sessions() as session, session.begin():
        user_id = await consume_token(session, rt, token, "confirm")
        if user_id is None:
            return False
        await session.execute(update(User).where(User.id == user_id)
                              .values(email_confirmed_at=rt.clock.now()))
    return True


async def authenticate(rt: Runtime, email: str, password: str) -> User | None:
    """The user whose password this is, upgrading its hash when the parameters changed."""
    async with rt.sessions() as session:
        user = await session.scalar(select(User).where(User.email == email.strip()))
    if user is None:
        await rt.passwords.verify(rt.passwords.dummy, password)  # same time either way
        return None
    if not await rt.passwords.verify(user.password_hash, password):
        return None
    if rt.passwords.needs_rehash(user.password_hash):
        new_hash = await rt.passwords.hash(password)
        async with rt.sessions() as session, session.begin():
            await session.execute(update(User).where(User.id == user.id)
                                  .values(password_hash=new_hash))
    return user


async def request_reset(rt: Runtime, email: str) -> None:
    """Mail a reset link if the address has an account; say nothing either way."""
    async with rt.sessions() as session, session.begin():
        user = await session.scalar(select(User).where(User.email == email.strip()))
        if user is None:
            return
        token = await issue_token(session, rt, user.id, "reset", RESET_TTL)
    await make_mailer(rt.settings).send(
        user.email, "Reset your Overpush password",
        f"Someone asked to reset the password of this Overpush account.\n\n"
        f"To choose a new password, open:\n\n{rt.settings.base_url}/reset/{token}\n\n"
        f"The link works for one hour. If it was not you, ignore this mail.\n",
    )


async def reset(rt: Runtime, token: str, password: str) -> bool:
    check_password(password)
    new_hash = await rt.passwords.hash(password)
    async with rt.sessions() as session, session.begin():
        user_id = await consume_token(session, rt, token, "reset")
        if user_id is None:
            return False
        await session.execute(update(User).where(User.id == user_id)
                              .values(password_hash=new_hash))
    return True


def totp_ok(user: User, code: str) -> bool:
    if not user.totp_enabled or not user.totp_secret:
        return True
    return pyotp.TOTP(user.totp_secret).verify(code.strip().replace(" ", ""), valid_window=1)


async def reset_two_factor(session: AsyncSession, user_id: int) -> None:
    """2FA off: the secret, a set-up in progress and the recovery codes are gone (an operator
    does this for someone who lost both their authenticator and their codes)."""
    await session.execute(update(User).where(User.id == user_id).values(
        totp_enabled=False, totp_secret=None, totp_pending_secret=None))
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Overpush")
