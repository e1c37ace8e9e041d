"""Outbound e-mail: through an SMTP relay, or written to a local folder on a single machine."""

from __future__ import annotations

import asyncio
import logging
import re
import smtplib
import ssl
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlparse

from overpush.settings import Settings

log = logging.getLogger(__name__)
LINK = re.compile(r"https?://\S+")


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def compose(self, to: str, subject: str, text: str) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self._settings.mail_from
        msg["To"] = to
        msg["Subject"] = subject
        msg["Message-ID"] = f"<{uuid.uuid4().hex}@overpush>"
        msg.set_content(text)
        return msg

    async def send(self, to: str, subject: str, text: str) -> None:
        msg = self.compose(to, subject, text)
        if self._settings.smtp_relay_url:
            await asyncio.to_thread(self._relay, msg)
            log.info("mail to %s sent through the relay: %s", to, subject)
            return
        path = await asyncio.to_thread(self._write, msg)
        # On a single machine without a relay, the log is how a person finds the link.
        log.info("mail to %s written to %s: %s %s", to, path, subject,
                 " ".join(LINK.findall(text)))

    def _write(self, msg: EmailMessage) -> Path:
        folder = Path(self._settings.mail_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        path.write_bytes(msg.as_bytes())
        return path

    def _relay(self, msg: EmailMessage) -> None:
        url = urlparse(self._settings.smtp_relay_url)
        host, implicit_tls = url.hostname or "localhost", url.scheme == "smtps"
        port = url.port or (465 if implicit_tls else 587)
        context = ssl.create_default_context()
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(host, port, context=context, timeout=30) if implicit_tls
            else smtplib.SMTP(host, port, timeout=30)
        )
        with smtp:
            if not implicit_tls and port != 25:
                smtp.starttls(context=context)
            if url.username:
                smtp.login(unquote(url.username), unquote(url.password or ""))
            smtp.send_message(msg)
