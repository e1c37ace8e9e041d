"""What the dispatcher does with each provider answer: schedule a retry, disable a gone
device, or nothing; and the e-mail that tells an owner their device was disabled."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select, update

from overpush import delivery_status, platforms
from overpush.delivery.push import Outcome, Push, Result
from overpush.delivery_status import FAILED, SENT, Change
from overpush.mailer import Mailer
from overpush.models import Delivery, Device, User
from overpush.runtime import Runtime
from overpush.settings import Settings

log = logging.getLogger(__name__)


def next_retry(attempts: int, retry_after: float | None, s: Settings) -> float | None:
    """Seconds until the next try after `attempts` failed ones (exponential, capped, never
    sooner than the vendor's Retry-After); None once the attempts are used up, since the
    message still waits in the device's queue for its next sync."""
    if attempts >= s.push_max_attempts:
        return None
    backoff = min(s.push_retry_base * float(2 ** max(attempts - 1, 0)), s.push_retry_max)
    return max(backoff, retry_after or 0.0)


def status_change(push: Push, result: Result, s: Settings) -> Change | None:
    """The delivery status a provider's answer sets (issue 17 §6): taken is "sent"; refused
    or gone is "failed"; a retry changes nothing until the attempts run out."""
    pm = push.phone
    assert pm is not None
    if result.outcome is Outcome.DELIVERED:
        return Change(push.message_id, push.target.id, SENT)
    if result.outcome is Outcome.RETRY:
        attempts = max(pm.attempts, 1)
        if next_retry(attempts, result.retry_after, s) is not None:
            return None
        reason = f"gave up after {attempts} attempts: {result.reason or 'retry'}"
        return Change(push.message_id, push.target.id, FAILED, reason)
    return Change(push.message_id, push.target.id, FAILED,
                  result.reason or result.outcome.value)


async def record(rt: Runtime, answers: Sequence[tuple[Push, Result]]) -> int:
    """Apply the phone answers in one transaction; returns how many devices were disabled."""
    now = rt.clock.now()
    disabled = 0
    phone = [(p, r) for p, r in answers if p.phone is not None]
    if not phone:
        return 0
    async with rt.sessions() as session, session.begin():
        await delivery_status.record(session, [c for p, r in phone
                                               if (c := status_change(p, r, rt.settings))],
                                     now)
        for push, result in phone:
            pm = push.phone
            assert pm is not None
            key = (Delivery.device_id == push.target.id, Delivery.message_id == push.message_id)
            if result.outcome is Outcome.RETRY:
                attempts = max(pm.attempts, 1)  # a retry was counted when it was claimed
                wait = next_retry(attempts, result.retry_after, rt.settings)
                due = None if wait is None else now + timedelta(seconds=wait)
                if due is None:
                    log.warning("giving up pushing message %s to device %s after %d tries",
                                push.message_id, pm.device_id, attempts)
                await session.execute(update(Delivery).where(*key).values(
                    push_attempts=attempts, push_retry_at=due))
            elif pm.attempts:  # a retry that ended: nothing more is due
                await session.execute(update(Delivery).where(*key).values(push_retry_at=None))
            if result.outcome is Outcome.GONE:
                # Only the token we used: a device that re-registered meanwhile stays enabled.
                # A device reached without a token too (a browser: the WebSocket) only loses
                # the token; its owner is told all the same.
                cut = {"push_token": None} if platforms.token_optional(push.target.os) \
                    else {"enabled": False}
                gone = await session.execute(
                    update(Device)
                    .where(Device.id == push.target.id, Device.enabled,
                           Device.push_token == pm.token)
                    .values(**cut, disabled_at=now, disabled_reason=result.reason[:60],
                            disabled_notified_at=None))
                if getattr(gone, "rowcount", 0):
                    disabled += 1
                    log.warning("device %s %s: %s", pm.device_id,
                                "lost its push token" if "push_token" in cut else "disabled",
                                result.reason)
                    await session.execute(update(Delivery).where(
                        Delivery.device_id == push.target.id).values(push_retry_at=None))
    return disabled


SUBSCRIPTION_NOTICE = """Hello,

Push notifications have stopped for your device "{name}" on your Overpush account: {vendor}
told us that its push subscription is no longer valid ({reason}). This usually means the
browser's site data was cleared, or its notification permission was removed.

The device still receives messages while its Overpush page is open. To get notifications with
the page closed again, open that page in the browser, log in and allow notifications.
"""

NOTICE = """Hello,

Your device "{name}" has been disabled on your Overpush account: {vendor} told us that its
push token is no longer valid ({reason}). This usually means the app was uninstalled, or its
notification permission was removed.

While it is disabled, no new messages are queued for it. To enable it again, open the app,
log in and register the device (you can use the same name as before).
"""


async def send_notices(rt: Runtime, mailer: Mailer, limit: int = 50) -> int:
    """Mail the owners of newly disabled devices. A notice is claimed by a conditional
    UPDATE before it is sent (so replicas never both send it) and released if sending fails,
    which raises. A crash between claim and send loses that one mail (at most once)."""
    async with rt.sessions() as session:
        rows = (await session.execute(
            select(Device, User.email).join(User, User.id == Device.user_id)
            .where(Device.disabled_at.is_not(None), Device.disabled_notified_at.is_(None))
            .limit(limit))).all()
    sent = 0
    for device, email in rows:
        async with rt.sessions() as session, session.begin():
            claimed = await session.execute(
                update(Device).where(Device.id == device.id,
                                     Device.disabled_notified_at.is_(None),
                                     Device.disabled_at.is_not(None))
                .values(disabled_notified_at=rt.clock.now()))
        if not getattr(claimed, "rowcount", 0):
            continue
        vendor = platforms.gone_vendor(device.os)
        subject, text = (f"Overpush: your device {device.name} was disabled", NOTICE)
        if device.enabled:  # it only lost its token (platforms.token_optional)
            subject, text = (f"Overpush: push notifications stopped for {device.name}",
                             SUBSCRIPTION_NOTICE)
        try:
            await mailer.send(email, subject, text.format(
                name=device.name, vendor=vendor, reason=device.disabled_reason or "gone"))
        except BaseException:
            # Released for a later try; the caller backs off (the relay is likely down).
            async with rt.sessions() as session, session.begin():
                await session.execute(update(Device).where(Device.id == device.id)
                                      .values(disabled_notified_at=None))
            raise
        sent += 1
    return sent
