"""The aiosmtpd handler: refuse unknown recipients at RCPT, turn DATA into one intake call."""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import replace

from aiosmtpd.smtp import SMTP, Envelope, Session
from overpush import aliases
from overpush.aliases import local_part
from overpush.attachments import CheckedImage, check_image
from overpush.clock import monotonic
from overpush.errors import ApiError, E, ErrorSpec, smtp_reply
from overpush.ids import request_id
from overpush.intake.accept import accept
from overpush.intake.validate import parse_message
from overpush.ratelimit import RateLimiter
from overpush.runtime import Runtime

from services.mailgw.options import message_params
from services.mailgw.parse import Image, UnreadableMail, parse

log = logging.getLogger(__name__)
INLINE_PARSE_BYTES = 16 * 1024


def refusal(spec: ErrorSpec) -> str:
    """The SMTP answer of one of the gateway's own catalog entries."""
    return smtp_reply(ApiError.of(spec))


class MailHandler:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.limiter = RateLimiter(rt.settings.mail_rate_per_minute, rt.settings.mail_rate_burst)
        # The recipient found at RCPT, used at DATA: one lookup per mail, gone with the envelope.
        self.targets: weakref.WeakKeyDictionary[Envelope, aliases.Target] = (
            weakref.WeakKeyDictionary()
        )

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        name = local_part(address, self.rt.settings.mail_domain)
        if name is None:
            return refusal(E.MAIL_RELAY_DENIED)
        if name in (local_part(a, self.rt.settings.mail_domain) for a in envelope.rcpt_tos):
            return "250 2.1.5 OK (duplicate recipient)"
        try:
            target = await aliases.resolve(self.rt, name)
        except Exception:
            log.exception("recipient lookup failed")
            return refusal(E.MAIL_TEMPORARY)
        if target is None:
            return refusal(E.MAIL_NO_SUCH_USER)
        if envelope.rcpt_tos:
            # One recipient per transaction, so one DATA answer is exactly one intake's answer;
            # RFC 5321 §4.5.3.1.10: the client sends the rest in another transaction.
            return refusal(E.MAIL_TOO_MANY_RECIPIENTS)
        if not self.limiter.allow(name, monotonic()):
            return refusal(E.MAIL_RATE_LIMITED)
        self.targets[envelope] = target
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        rid = request_id()
        try:
            return await self._deliver(envelope, rid)
        except UnreadableMail as err:
            return smtp_reply(err)
        except ApiError as err:
            self._count_rejected(err)
            log.info("mail %s refused: %s", rid, err.errors[0].message if err.errors else err)
            return smtp_reply(err)
        except Exception:
            # Database down, broker trouble, a bug: ours to fix, so the sender should retry.
            log.exception("mail %s failed", rid)
            return refusal(E.MAIL_TEMPORARY)

    async def _deliver(self, envelope: Envelope, rid: str) -> str:
        target = self.targets.pop(envelope, None)
        if target is None:  # RCPT always stores one; this is only a guard
            return refusal(E.MAIL_NEED_RCPT)
        name = target.alias
        raw = envelope.original_content or b""
        # Parsing a large or hostile mail is CPU work: keep it off the event loop. A small one
        # parses faster than a hand-off to a thread.
        if len(raw) > INLINE_PARSE_BYTES:
            mail = await asyncio.to_thread(parse, bytes(raw))
        else:
            mail = parse(bytes(raw))
        params = message_params(mail, target.options, target.token, target.user_key,
                                self.rt.clock.now())
        draft = parse_message(params)
        if mail.image is not None:
            draft = replace(draft, attachment=await checked(mail.image, rid))
        await accept(self.rt, draft, rid, source="email")
        log.info("mail %s to %s became a notification", rid, name)
        return f"250 2.0.0 OK: queued as {rid}"

    def _count_rejected(self, err: ApiError) -> None:
        for e in err.errors:
            self.rt.metrics.rejected.labels(e.spec.code).inc()

    async def handle_exception(self, error: Exception) -> str:
        log.error("SMTP session error: %s", error, exc_info=error)
        return refusal(E.MAIL_SESSION_ERROR)


async def checked(image: Image, rid: str) -> CheckedImage | None:
    """The mail's image as the HTTP route would accept it, or None: an image that fails the
    check (corrupt, too many pixels, a polyglot) is dropped and the text is still delivered.
    A camera cannot fix its JPEG, and a bounce for the picture would lose the alert too."""
    try:
        # Decoding an image is CPU work: keep it off the event loop.
        return await asyncio.to_thread(check_image, image.data)
    except ApiError as err:
        log.info("mail %s: attachment dropped: %s", rid,
                 err.errors[0].message if err.errors else err)
        return None
