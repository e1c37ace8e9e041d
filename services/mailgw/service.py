"""The mailgw service: an SMTP server on the runtime's event loop, feeding the one intake."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from functools import partial

from aiosmtpd.smtp import SMTP
from overpush import aliases, presence
from overpush.background import Repeat
from overpush.outbox_relay import OutboxRelay
from overpush.runtime import Runtime
from overpush.settings import Settings

from services.mailgw.handler import MailHandler

log = logging.getLogger(__name__)
# Commands per session before aiosmtpd answers 421 and hangs up. MTAs send many mails over one
# connection, so the mail commands get room for 100 mails; anything else (EHLO, NOOP, VRFY,
# bogus commands) stays at aiosmtpd's 20.
BACKFILL_INTERVAL = 60.0
CALL_LIMITS = {"MAIL": 100, "RCPT": 200, "DATA": 100, "RSET": 100, "*": 20}


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """STARTTLS when a certificate is configured; senders keep the choice (opportunistic TLS)."""
    if not (settings.smtp_tls_cert and settings.smtp_tls_key):
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(settings.smtp_tls_cert, settings.smtp_tls_key)
    return ctx


class MailGatewayService:
    name = "mailgw"

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._relay: OutboxRelay | None = None
        self._backfill: Repeat | None = None

    async def start(self, rt: Runtime) -> None:
        await aliases.backfill(rt)

        async def backfill() -> bool:
            await aliases.backfill(rt)
            return False

        # Users created by a path that does not make an address (an import, another service)
        # get one within a minute, not only at the next start.
        self._backfill = Repeat("mail-backfill", backfill,
                                lambda: asyncio.sleep(BACKFILL_INTERVAL), pause=0.0,
                                idle_first=True)
        self._backfill.start()
        if not rt.settings.is_memory_bus:
            # Run alone (`overpush run mailgw`), nothing else in this process would publish our
            # accepted mail until another replica's sweep; replicas share the outbox safely
            # (SKIP LOCKED). With the in-process bus the api service's relay is always here.
            self._relay = OutboxRelay(rt, partial(presence.publish, rt))
            self._relay.start()
        # aiosmtpd logs every command of every session at INFO; our handler logs the outcome.
        logging.getLogger("mail.log").setLevel(max(logging.WARNING, log.getEffectiveLevel()))
        s = rt.settings
        handler = MailHandler(rt)
        tls = tls_context(s)
        loop = asyncio.get_running_loop()

        def protocol() -> SMTP:
            return SMTP(
                handler, data_size_limit=s.mail_max_bytes, hostname=s.mail_domain,
                ident="Overpush e-mail gateway", tls_context=tls, require_starttls=False,
                timeout=s.smtp_timeout, command_call_limit=CALL_LIMITS, enable_SMTPUTF8=True,
                loop=loop,
            )

        self._server = await loop.create_server(protocol, host=s.smtp_host, port=s.smtp_port,
                                                backlog=1024)
        log.info("mailgw listening on smtp://%s:%d for @%s%s", s.smtp_host, s.smtp_port,
                 s.mail_domain, " (STARTTLS)" if tls else "")

    async def stop(self) -> None:
        if self._backfill is not None:
            await self._backfill.stop()
        if self._server is not None:
            self._server.close()
            # Python 3.12's wait_closed also waits for open sessions; cap it.
            try:
                await asyncio.wait_for(self._server.wait_closed(), 5)
            except TimeoutError:
                log.warning("mailgw: SMTP sessions still open at shutdown")
            self._server = None
        if self._relay is not None:
            await self._relay.stop()
            with contextlib.suppress(Exception):
                await self._relay.flush()  # publish what was committed up to now
            self._relay = None
