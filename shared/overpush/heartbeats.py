"""Heartbeat (dead-man's switch) monitors: the rules (pure) and their SQL.

A job pings its heartbeat's URL at least every `period` seconds. No ping for period + grace
(counted from the last ping, or from creation before the first) sends the heartbeat's message
once and marks it "down"; the first ping after that marks it "up" again and sends a
"recovered" message. The timer is `due_at` in the database, shared by replicas: the tick
claims due rows FOR UPDATE SKIP LOCKED and writes the alert in the same transaction
(intake.commit.commit_in), so a missed heartbeat is announced exactly once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush import receipts
from overpush.clock import unix
from overpush.errors import ApiError, E, FieldError
from overpush.ids import is_key, random_key, request_id
from overpush.intake.commit import commit_in
from overpush.intake.plans import Accepted, Request
from overpush.intake.recipients import resolve
from overpush.intake.validate import MessageDraft, parse_message
from overpush.models import App, Heartbeat, Receipt
from overpush.runtime import Runtime

NAME_MAX = 100
PERIOD_MIN, SPAN_MAX = 10, 31 * 86400
PER_APP = 200
# Pings closer together than this are answered but not stored: a job in a tight loop costs
# one indexed read, never a write.
PING_EVERY = timedelta(seconds=1)
BATCH = 100
SOURCE = "heartbeat"  # the accepted-messages metric's label


@dataclass(frozen=True)
class Spec:
    """A checked heartbeat as a sender asked for it."""

    user: str
    name: str
    period: int
    grace: int
    message: str | None
    priority: int
    retry: int | None
    expire: int | None
    sound: str | None


def _seconds(value: str | None, low: int) -> int:
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise ValueError(text)
    number = int(text)
    if not low <= number <= SPAN_MAX:
        raise ValueError(number)
    return number


def parse(p: Mapping[str, str | None]) -> Spec:
    """Check a create request; the alert's own fields are checked as a message would be
    (parse_message), so a heartbeat can only hold what could be sent."""
    errors: list[FieldError] = []
    name = (p.get("name") or "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        errors.append(FieldError(E.HEARTBEAT_NAME_INVALID))
    period = grace = 0
    try:
        period = _seconds(p.get("period"), PERIOD_MIN)
    except ValueError:
        errors.append(FieldError(E.PERIOD_INVALID))
    try:
        grace = _seconds(p.get("grace") or "0", 0)
    except ValueError:
        errors.append(FieldError(E.GRACE_INVALID))
    user = (p.get("user") or "").strip()
    draft: MessageDraft | None = None
    try:
        draft = parse_message({
            "token": p.get("token"), "user": user, "priority": p.get("priority"),
            "message": p.get("message") or "heartbeat missed", "sound": p.get("sound"),
            "retry": p.get("retry"), "expire": p.get("expire"),
        })
        if len(draft.users) != 1:
            raise ApiError.of(E.USER_INVALID, "a heartbeat alerts one user or group key")
    except ApiError as err:
        errors += err.errors
    if errors or draft is None:
        raise ApiError(errors)
    return Spec(user=user, name=name, period=period, grace=grace,
                message=(p.get("message") or "").strip() or None, priority=draft.priority,
                retry=draft.retry, expire=draft.expire, sound=draft.sound)


def deadline(hb: Heartbeat, since: datetime) -> datetime:
    return since + timedelta(seconds=hb.period + hb.grace)


def ping_url(base_url: str, key: str) -> str:
    return f"{base_url}/1/heartbeats/{key}/ping.json"


def view(hb: Heartbeat, base_url: str) -> dict[str, Any]:
    """One heartbeat as the list answers it (times in Unix seconds, 0 for never)."""
    return {
        "heartbeat": hb.key, "name": hb.name, "user": hb.user, "period": hb.period,
        "grace": hb.grace, "priority": hb.priority, "state": hb.state,
        "last_ping_at": unix(hb.last_ping_at) if hb.last_ping_at else 0,
        "due_at": unix(hb.due_at) if hb.due_at else 0,
        "down_since": unix(hb.down_at) if hb.down_at else 0,
        "alerts": hb.alerts, "last_error": hb.last_error or "",
        "ping_url": ping_url(base_url, hb.key),
    }


def _ago(seconds: float) -> str:
    s = int(seconds)
    if s < 120:
        return f"{s} s"
    if s < 7200:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60} min"


def missed_draft(hb: Heartbeat, token: str, now: datetime) -> MessageDraft:
    """The alert of a missed heartbeat: its own message, or one that says what happened."""
    since = hb.last_ping_at or hb.created_at
    ago = _ago((now - since).total_seconds())
    last = "never pinged" if hb.last_ping_at is None else f"last ping {ago} ago"
    return MessageDraft(
        token=token, users=(hb.user,), title=f"{hb.name}: heartbeat missed",
        message=hb.message or f"No ping from {hb.name} within {_ago(hb.period + hb.grace)} "
                              f"({last}).",
        priority=hb.priority, sound=hb.sound, retry=hb.retry, expire=hb.expire,
    )


def recovered_draft(hb: Heartbeat, token: str, now: datetime) -> MessageDraft:
    """The all-clear: never an emergency itself (nothing to acknowledge)."""
    down = _ago((now - hb.down_at).total_seconds()) if hb.down_at else "a while"
    return MessageDraft(
        token=token, users=(hb.user,), title=f"{hb.name}: recovered",
        message=f"{hb.name} pinged again after {down} down.",
        priority=min(hb.priority, 1), sound=hb.sound,
    )


async def create(session: AsyncSession, app: App, spec: Spec, now: datetime) -> Heartbeat:
    """A new heartbeat, counting from now; its key or group must reach someone now."""
    count = await session.scalar(select(func.count()).where(Heartbeat.app_id == app.id))
    if (count or 0) >= PER_APP:
        raise ApiError.of(E.TOO_MANY_HEARTBEATS)
    await resolve(session, (spec.user,), (), app.id)
    hb = Heartbeat(key=random_key(), app_id=app.id, user=spec.user, name=spec.name,
                   period=spec.period, grace=spec.grace, message=spec.message,
                   priority=spec.priority, retry=spec.retry, expire=spec.expire,
                   sound=spec.sound, state="new", created_at=now, alerts=0)
    hb.due_at = deadline(hb, now)
    session.add(hb)
    await session.flush()
    return hb


async def of_app(session: AsyncSession, app_id: int) -> list[Heartbeat]:
    return list((await session.scalars(
        select(Heartbeat).where(Heartbeat.app_id == app_id).order_by(Heartbeat.id)
    )).all())


async def by_key(session: AsyncSession, key: str, *, lock: bool = False) -> Heartbeat:
    if not is_key(key):
        raise ApiError.of(E.HEARTBEAT_NOT_FOUND)
    query = select(Heartbeat).where(Heartbeat.key == key)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    hb = await session.scalar(query)
    if hb is None:
        raise ApiError.of(E.HEARTBEAT_NOT_FOUND)
    return hb


async def remove(session: AsyncSession, key: str, app_id: int | None) -> None:
    """Delete by key; with `app_id`, only that application's (a token is then required)."""
    hb = await by_key(session, key)
    if app_id is not None and hb.app_id != app_id:
        raise ApiError.of(E.HEARTBEAT_NOT_FOUND)
    await session.execute(delete(Heartbeat).where(Heartbeat.id == hb.id))


async def ping(session: AsyncSession, rt: Runtime, key: str, now: datetime
               ) -> tuple[Heartbeat, bool]:
    """Reset the timer; (heartbeat, stored). A ping within PING_EVERY of the stored one is
    not stored. The first ping of a down heartbeat sends "recovered" and stops the missed
    alert's re-alerts, in this transaction; the row lock orders it against the tick."""
    hb = await by_key(session, key)
    if hb.last_ping_at is not None and now - hb.last_ping_at < PING_EVERY:
        return hb, False
    if not rt.settings.is_sqlite:
        hb = await by_key(session, key, lock=True)
    was_down = hb.state == "down"
    hb.last_ping_at, hb.due_at = now, deadline(hb, now)
    if was_down:
        token = await session.scalar(select(App.token).where(App.id == hb.app_id))
        assert token is not None
        [outcome] = await commit_in(session, rt, [
            Request(recovered_draft(hb, token, now), request_id(), SOURCE)])
        hb.last_error = None if isinstance(outcome, Accepted) else str(outcome)[:200]
        if hb.alert_receipt:
            await receipts.cancel(session, Receipt.receipt == hb.alert_receipt, now)
        hb.down_at, hb.alert_receipt = None, None
    hb.state = "up"
    return hb, True


async def tick(rt: Runtime, limit: int = BATCH) -> int:
    """Announce up to `limit` heartbeats missed by rt.clock.now(); returns how many.

    Claim, state change and alert commit together: a replica that finds a row locked skips
    it, one that crashes before commit leaves it due for the next tick."""
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        query = (select(Heartbeat, App.token).join(App, App.id == Heartbeat.app_id)
                 .where(Heartbeat.due_at <= now).order_by(Heartbeat.due_at).limit(limit))
        if not rt.settings.is_sqlite:
            query = query.with_for_update(skip_locked=True, of=Heartbeat)
        rows = (await session.execute(query)).all()
        if not rows:
            return 0
        drafts = [(hb, missed_draft(hb, token, now)) for hb, token in rows]
        outcomes = await commit_in(session, rt, [
            Request(draft, request_id(), SOURCE) for _, draft in drafts])
        for (hb, _), outcome in zip(drafts, outcomes, strict=True):
            hb.state, hb.due_at, hb.down_at = "down", None, now
            hb.alerts += 1
            if isinstance(outcome, Accepted):
                hb.alert_receipt, hb.last_error = outcome.receipt, None
            else:  # a refusal (quota, the user gone) is shown on the heartbeat
                hb.last_error = str(outcome)[:200]
    rt.outbox_wakeup.set()
    return len(rows)
