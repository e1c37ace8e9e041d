"""Passwords of accounts: log-in, a reset by mail, a change. A new password ends every other
session and device secret of the account (revoke.everything)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from overpush import licenses, revoke, users
from overpush.accounts import Mail, check_password, consume_token, find_by_email, issue_token
from overpush.models import User
from overpush.runtime import Runtime

RESET_TTL = timedelta(hours=1)


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
