"""Provider answers applied to the database: bounded retries, disabling, owner notices."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from overpush.delivery import outcomes
from overpush.delivery.alerting import Alert
from overpush.delivery.fanout import Target
from overpush.delivery.push import Outcome, PhoneMessage, Push, Result
from overpush.mailer import MailDirMailer
from overpush.models import App, Delivery, Device, Message
from overpush.runtime import Runtime
from overpush.settings import Settings
from sqlalchemy import select

from tests.factories import make_app, make_user

TOKEN = "ab" * 32


def test_next_retry_is_bounded_and_honours_retry_after() -> None:
    s = Settings(push_max_attempts=4, push_retry_base=10, push_retry_max=25)
    assert [outcomes.next_retry(n, None, s) for n in (1, 2, 3, 4)] == [10, 20, 25, None]
    assert outcomes.next_retry(1, 60, s) == 60


async def _setup(rt: Runtime) -> tuple[Device, Message]:
    owner = await make_user(rt, "bo@example.com")
    token = await make_app(rt, owner)
    now = rt.clock.now()
    async with rt.sessions() as session, session.begin():
        app = await session.scalar(select(App).where(App.token == token))
        assert app is not None
        device = Device(public_id="p" * 40, user_id=app.owner_id, name="iphone", os="I",
                        enabled=True, created_at=now, push_token=TOKEN)
        m = Message(app_id=app.id, user_id=app.owner_id, request_id="r", body="hi",
                    priority=0, sent_at=now, created_at=now, dispatched_at=now)
        session.add_all([device, m])
        await session.flush()
        session.add(Delivery(device_id=device.id, message_id=m.id, created_at=now))
    return device, m


def _mails(directory: Path) -> list[str]:
    return [p.read_text() for p in directory.glob("*.eml")]


def _push(device: Device, m: Message, attempts: int = 0, token: str = TOKEN) -> Push:
    pm = PhoneMessage(token=token, device_id=device.public_id, key=None, message_id=m.id,
                      title="t", body="hi", url=None, badge=1, ttl=None, attempts=attempts,
                      alert=Alert(visible=True, sound=None, level="active", urgent=True))
    return Push(Target(device.id, device.public_id, device.name, "I"), m.id, 0, pm)


async def _delivery(rt: Runtime) -> Delivery:
    async with rt.sessions() as session:
        d = await session.scalar(select(Delivery))
        assert d is not None
        return d


async def test_retry_then_give_up(runtime: Runtime) -> None:
    rt = runtime
    rt.settings = rt.settings.model_copy(update={"push_max_attempts": 2})
    device, m = await _setup(rt)
    await outcomes.record(rt, [(_push(device, m), Result(Outcome.RETRY, 120.0))])
    d = await _delivery(rt)
    assert d.push_attempts == 1 and d.push_retry_at is not None
    assert d.push_retry_at >= rt.clock.now() + timedelta(seconds=100)  # Retry-After honoured
    await outcomes.record(rt, [(_push(device, m, attempts=2), Result(Outcome.RETRY))])
    d = await _delivery(rt)
    assert d.push_attempts == 2 and d.push_retry_at is None  # used up; the queue keeps it


async def test_gone_disables_once_and_mails_owner(runtime: Runtime, tmp_path: Path) -> None:
    rt = runtime
    device, m = await _setup(rt)
    # A stale answer for an older token changes nothing.
    stale = await outcomes.record(rt, [(_push(device, m, token="cd" * 32),
                                        Result(Outcome.GONE, reason="Unregistered"))])
    assert stale == 0
    gone = (_push(device, m), Result(Outcome.GONE, reason="Unregistered"))
    assert await outcomes.record(rt, [gone]) == 1
    assert await outcomes.record(rt, [gone]) == 0  # already disabled

    class Down:
        async def send(self, to: str, subject: str, body: str) -> None:
            raise OSError("relay down")

    with pytest.raises(OSError, match="relay down"):
        await outcomes.send_notices(rt, Down())
    mailer = MailDirMailer(str(tmp_path), "Overpush <o@localhost>")
    assert await outcomes.send_notices(rt, mailer) == 1  # released after the failure
    assert await outcomes.send_notices(rt, mailer) == 0  # and sent only once
    (text,) = _mails(tmp_path)
    assert "bo@example.com" in text and "Apple" in text
    async with rt.sessions() as session:
        stored = await session.scalar(select(Device))
        assert stored is not None and not stored.enabled and stored.disabled_notified_at


async def test_retry_loop_sends_due_pushes_and_drops_dead_ones(runtime: Runtime) -> None:
    from collections.abc import Sequence

    from overpush.mailer import make_mailer
    from sqlalchemy import update

    from services.dispatcher.retries import RetryLoop

    rt = runtime
    _, m = await _setup(rt)
    sent: list[Push] = []

    async def send(pushes: Sequence[Push]) -> list[tuple[Push, Result]]:
        sent.extend(pushes)
        return [(p, Result(Outcome.DELIVERED)) for p in pushes]

    loop = RetryLoop(rt, send, make_mailer(rt.settings))
    due = rt.clock.now() - timedelta(seconds=1)
    async with rt.sessions() as session, session.begin():
        await session.execute(update(Delivery).values(push_attempts=1, push_retry_at=due))
    assert await loop.tick() == 1
    assert [p.message_id for p in sent] == [m.id]
    assert sent[0].phone is not None and sent[0].phone.attempts == 2  # this try counted
    assert (await _delivery(rt)).push_retry_at is None
    # A due retry for a device that was disabled meanwhile makes no push and is dropped.
    async with rt.sessions() as session, session.begin():
        await session.execute(update(Delivery).values(push_retry_at=due))
        await session.execute(update(Device).values(enabled=False))
    assert await loop.tick() == 1
    assert len(sent) == 1
    assert (await _delivery(rt)).push_retry_at is None
    assert await loop.tick() == 0
    # Tries used up (say the sends crashed before any answer): dropped, not sent again.
    async with rt.sessions() as session, session.begin():
        await session.execute(update(Device).values(enabled=True))
        await session.execute(update(Delivery).values(push_retry_at=due, push_attempts=5))
    assert await loop.tick() == 1
    assert len(sent) == 1 and (await _delivery(rt)).push_retry_at is None
