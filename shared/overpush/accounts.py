"""Accounts: sign-up and operator-made users, confirmation, log-in, password reset, TOTP.

An address is an identity by its `email_key` (trimmed, lower-case): one account per address
whatever its case, and the one key every log-in path looks up and throttles by.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from sqlalchemy import delete, exists, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import aliases, licenses, revoke, throttle, users
from overpush.errors import ApiError, E
from overpush.ids import digest, random_key
from overpush.mailer import make_mailer
from overpush.models import AccountToken, Group, RecoveryCode, User
from overpush.runtime import Runtime
from overpush.users import email_key

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


async def authenticate(rt: Runtime, email: str, password: str) -> User | None:
    """The user whose password this is, upgrading its hash when the parameters changed. An
    unknown address takes as long but costs nothing (`Passwords.pretend`)."""
    user = await find_by_email(rt, email)
    if user is None:
        await rt.passwords.pretend()
        return None
    if not await rt.passwords.verify(user.password_hash, password):
        return None
    if rt.passwords.needs_rehash(user.password_hash):
        new_hash = await rt.passwords.hash(password)
        async with rt.sessions() as session, session.begin():
            await session.execute(update(User).where(User.id == user.id)
                                  .values(password_hash=new_hash))
    return user


async def request_reset(rt: Runtime, email: str) -> Mail | None:
    """The reset mail to send (after the answer), if the address has an account; the caller
    says the same either way, and throttles the asking."""
    async with rt.sessions() as session, session.begin():
        user = await users.by_email(session, email)
        if user is None:
            return None
        token = await issue_token(session, rt, user.id, "reset", RESET_TTL)
    return Mail(
        user.email, "Reset your Overpush password",
        f"Someone asked to reset the password of this Overpush account.\n\n"
        f"To choose a new password, open:\n\n{rt.settings.base_url}/reset/{token}\n\n"
        f"The link works for one hour. If it was not you, ignore this mail.\n",
    )


async def reset(rt: Runtime, token: str, password: str) -> bool:
    """A new password from a reset link. Every browser session and device secret of the
    account ends, and the devices those secrets registered are deleted (revoke.everything):
    whoever knew the old password, or signed up with the address before its owner, is out.
    Following the link also proves the address, so it confirms it."""
    check_password(password)
    new_hash = await rt.passwords.hash(password)
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        user_id = await consume_token(session, rt, token, "reset")
        user = None if user_id is None else await session.get(User, user_id)
        if user is None:
            return False
        user.password_hash = new_hash
        if user.email_confirmed_at is None:
            user.email_confirmed_at = now
            await licenses.claim_email(session, user.id, user.email, now)
        revoke.tell_devices(session, rt, await revoke.everything(session, user.id))
    return True


async def change_password(rt: Runtime, user_id: int, current: str, new: str,
                          keep_web: str) -> bool:
    """A new password, given the current one; ends every other browser session and every
    device secret (revoke.everything). False when `current` is wrong."""
    async with rt.sessions() as session:
        user = await session.get(User, user_id)
    if user is None or not await rt.passwords.verify(user.password_hash, current):
        return False
    check_password(new)
    new_hash = await rt.passwords.hash(new)
    async with rt.sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == user_id)
                              .values(password_hash=new_hash))
        revoke.tell_devices(session, rt, await revoke.everything(session, user_id, keep_web))
    return True


# TOTP: RFC 6238 with 30-second steps; a code is accepted for the step before and after the
# current one (clock drift), and each step's code once per account: `totp_last_step`
# remembers the last step used, and only a later step is accepted after it.
STEP_SECONDS = 30
Outcome = Literal["ok", "wrong", "throttled"]


def totp_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The step whose code `code` is (current one +-1), later than `after`; None if none."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isascii() or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and \
                hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


async def use_totp(session: AsyncSession, user_id: int, secret: str, code: str,
                   now: datetime) -> bool:
    """Spend a TOTP code: accepted once per account, by one conditional UPDATE, so two
    sessions racing with the same code cannot both pass."""
    last = await session.scalar(select(User.totp_last_step).where(User.id == user_id))
    step = totp_step(secret, code, now, last)
    if step is None:
        return False
    done = await session.scalar(
        update(User).where(User.id == user_id, or_(User.totp_last_step.is_(None),
                                                   User.totp_last_step < step))
        .values(totp_last_step=step).returning(User.id))
    return done is not None


async def second_factor(rt: Runtime, user: User, code: str, session_key: str,
                        fallback: Callable[[AsyncSession], Awaitable[bool]] | None = None,
                        ) -> Outcome:
    """Check a second factor, throttled per account and per session (`session_key`: the
    browser session, or the client address on the API). Over the limit even the right code
    is refused, so guessing gains nothing. `fallback` tries a recovery code."""
    limits = throttle.twofa_limits(rt, user.id, session_key)
    if await throttle.over(rt, limits):
        return "throttled"
    async with rt.sessions() as session, session.begin():
        ok = bool(user.totp_secret) and await use_totp(
            session, user.id, user.totp_secret or "", code, rt.clock.now())
        if not ok and fallback is not None:
            ok = await fallback(session)
    if not ok:
        await throttle.count(rt, throttle.keys_of(limits))
        return "wrong"
    await throttle.clear(rt, [f"2fa-session:{session_key}"])
    return "ok"


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
