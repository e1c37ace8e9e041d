"""E-mail aliases: their names and options (pure), each user's gateway account and
addresses, and resolving RCPT TO."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.clock import unix
from overpush.devices import DEVICE_NAME
from overpush.errors import ApiError, E, FieldError
from overpush.ids import LOWER_ALNUM, random_key
from overpush.intake.validate import flag
from overpush.models import App, MailAccount, MailAlias, User
from overpush.runtime import Runtime
from overpush.sounds import BUILTIN_SOUNDS

log = logging.getLogger(__name__)
APP_NAME = "E-mail"
ALIAS_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MAX_ALIASES = 100
# Role addresses nobody may claim: mail to them is meant for the operator, not a user.
RESERVED = frozenset({"postmaster", "abuse", "hostmaster", "webmaster", "mailer-daemon",
                      "root", "admin", "noreply", "no-reply", "support", "security"})


@dataclass(frozen=True)
class AliasOptions:
    sound: str | None = None
    priority: int = 0
    device: str | None = None
    ignore_timestamps: bool = False


@dataclass(frozen=True)
class Target:
    """Where mail to one alias goes: the user, as their gateway application, with options."""

    alias: str
    user_key: str
    token: str
    options: AliasOptions


def local_part(address: str, domain: str) -> str | None:
    """The alias name of `address` if it is on our mail domain, else None (no relaying)."""
    local, at, dom = address.strip().strip("<>").rpartition("@")
    if not at or dom.lower().rstrip(".") != domain.lower() or not local:
        return None
    return local.lower()


def alias_name(raw: str | None, domain: str) -> str:
    """A requested alias name ("alerts" or "alerts@pomail.net"), checked."""
    name = (raw or "").strip().lower()
    if "@" in name:
        name = local_part(name, domain) or ""
    if not ALIAS_NAME.match(name) or name in RESERVED:
        raise ApiError.of(E.ALIAS_NAME_INVALID)
    return name


def alias_options(p: Mapping[str, str | None]) -> AliasOptions:
    """Options for a new alias, from API parameters or the command line; all problems at once."""
    errors: list[FieldError] = []
    sound = (p.get("sound") or "").strip() or None
    if sound is not None and sound not in BUILTIN_SOUNDS:
        errors.append(FieldError(E.SOUND_INVALID, f"sound {sound[:40]!r} is not a valid sound"))
    priority = 0
    raw = (p.get("priority") or "").strip()
    if raw:
        try:
            priority = int(raw)
        except ValueError:
            priority = 99
        if priority not in (-2, -1, 0, 1):
            # Emergency (2) needs retry and expire, which an e-mail cannot carry.
            errors.append(FieldError(E.PRIORITY_INVALID, "priority must be -2, -1, 0 or 1"))
    device = (p.get("device") or "").strip() or None
    if device is not None and not DEVICE_NAME.match(device):
        errors.append(FieldError(E.DEVICE_INVALID))
    if errors:
        raise ApiError(errors)
    return AliasOptions(sound, priority, device, flag(p.get("ignore_timestamps")))


def random_name() -> str:
    return random_key(12, LOWER_ALNUM)


async def ensure_account(session: AsyncSession, rt: Runtime, user_id: int) -> MailAccount:
    """The user's gateway application and default address, created in the caller's transaction.

    One application per user (not one per installation): mail counts against the recipient's
    own monthly allowance, so a flood to one user never blocks mail to anyone else, and the
    messages show as from "E-mail" in their client.
    """
    account = await session.get(MailAccount, user_id)
    if account is not None:
        return account
    now = rt.clock.now()
    app = App(token=random_key(), name=APP_NAME, owner_id=user_id, created_at=now)
    session.add(app)
    await session.flush()
    account = MailAccount(user_id=user_id, app_id=app.id, created_at=now)
    session.add_all([account, MailAlias(
        user_id=user_id, name=random_name(), is_default=True, priority=0,
        ignore_timestamps=False, created_at=now,
    )])
    await session.flush()
    return account


async def default_address(session: AsyncSession, rt: Runtime, user_id: int) -> str:
    """The user's first gateway address, or "" for a user the gateway has not reached yet."""
    name = await session.scalar(
        select(MailAlias.name).where(MailAlias.user_id == user_id, MailAlias.is_default)
    )
    return f"{name}@{rt.settings.mail_domain}" if name else ""


async def backfill(rt: Runtime) -> int:
    """Give every user created before the gateway existed an account and address."""
    async with rt.sessions() as session:
        missing = list((await session.scalars(
            select(User.id).outerjoin(MailAccount, MailAccount.user_id == User.id)
            .where(MailAccount.user_id.is_(None))
        )).all())
    made = 0
    for user_id in missing:
        try:
            async with rt.sessions() as session, session.begin():
                await ensure_account(session, rt, user_id)
            made += 1
        except IntegrityError:  # another replica did it first, or the user just went away
            continue
    if made:
        log.info("created e-mail addresses for %d existing users", made)
    return made


def as_json(alias: MailAlias, domain: str) -> dict[str, Any]:
    return {
        "alias": f"{alias.name}@{domain}", "name": alias.name, "default": alias.is_default,
        "sound": alias.sound, "priority": alias.priority, "device": alias.device,
        "ignore_timestamps": alias.ignore_timestamps, "created_at": unix(alias.created_at),
    }


async def list_aliases(rt: Runtime, user_id: int) -> list[dict[str, Any]]:
    async with rt.sessions() as session, session.begin():
        await ensure_account(session, rt, user_id)
        rows = (await session.scalars(
            select(MailAlias).where(MailAlias.user_id == user_id)
            .order_by(MailAlias.is_default.desc(), MailAlias.id)
        )).all()
    return [as_json(a, rt.settings.mail_domain) for a in rows]


async def create_alias(rt: Runtime, user_id: int,
                       params: Mapping[str, str | None]) -> dict[str, Any]:
    """A new address with its own options; a random name unless one is asked for."""
    domain = rt.settings.mail_domain
    wanted = (params.get("name") or "").strip()
    errors: list[FieldError] = []
    name, options = random_name(), AliasOptions()
    try:
        name = alias_name(wanted, domain) if wanted else name
    except ApiError as exc:
        errors += exc.errors
    try:
        options = alias_options(params)
    except ApiError as exc:
        errors += exc.errors
    if errors:  # every problem at once, as Pushover answers
        raise ApiError(errors)
    alias = MailAlias(
        user_id=user_id, name=name, is_default=False, sound=options.sound,
        priority=options.priority, device=options.device,
        ignore_timestamps=options.ignore_timestamps, created_at=rt.clock.now(),
    )
    try:
        async with rt.sessions() as session, session.begin():
            await ensure_account(session, rt, user_id)
            count = await session.scalar(
                select(func.count()).select_from(MailAlias).where(MailAlias.user_id == user_id)
            )
            if (count or 0) >= MAX_ALIASES:
                raise ApiError.of(E.TOO_MANY_ALIASES)
            session.add(alias)
            await session.flush()
    except IntegrityError:
        raise ApiError.of(E.ALIAS_TAKEN) from None
    return as_json(alias, domain)


async def delete_alias(rt: Runtime, user_id: int, address: str) -> None:
    name = (address or "").strip().lower().split("@", 1)[0]
    async with rt.sessions() as session, session.begin():
        alias = await session.scalar(
            select(MailAlias).where(MailAlias.name == name, MailAlias.user_id == user_id)
        )
        if alias is None:
            raise ApiError.of(E.ALIAS_NOT_FOUND)
        if alias.is_default:
            raise ApiError.of(E.ALIAS_DEFAULT)
        await session.execute(delete(MailAlias).where(MailAlias.id == alias.id))


# Asked at every RCPT: built once, run on a bare connection (no ORM session, no entities).
_TARGET = (
    select(MailAlias.name, User.user_key, App.token, MailAlias.sound, MailAlias.priority,
           MailAlias.device, MailAlias.ignore_timestamps)
    .join(User, User.id == MailAlias.user_id)
    .join(MailAccount, MailAccount.user_id == MailAlias.user_id)
    .join(App, App.id == MailAccount.app_id)
    .where(MailAlias.name == bindparam("name"), User.email_confirmed_at.is_not(None))
)


async def resolve(rt: Runtime, name: str) -> Target | None:
    """The user, gateway application and options behind one alias name, in one query."""
    async with rt.engine.connect() as conn:
        row = (await conn.execute(_TARGET, {"name": name})).first()
    if row is None:
        return None
    return Target(row.name, row.user_key, row.token, AliasOptions(
        row.sound, row.priority, row.device, row.ignore_timestamps
    ))
