"""Outbound mail seam: an SMTP relay when configured, else .eml files in a local folder."""

from __future__ import annotations

import asyncio
import logging
import re
import smtplib
import ssl
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from overpush.settings import Settings

log = logging.getLogger(__name__)
LINK = re.compile(r"https?://\S+")


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None:
        """Hand one plain-text mail on; raises OSError/smtplib.SMTPException on failure."""
        ...


def compose(sender: str, to: str, subject: str, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="overpush")
    msg.set_content(body)
    return msg


class MailDirMailer:
    """The single-machine default: each mail becomes a file a person can open, and a log line."""

    def __init__(self, directory: str, sender: str) -> None:
        self._dir = Path(directory)
        self._sender = sender

    async def send(self, to: str, subject: str, body: str) -> None:
        msg = compose(self._sender, to, subject, body)
        path = self._dir / f"{uuid.uuid4().hex}.eml"
        await asyncio.to_thread(self._write, path, msg.as_bytes())
        # Without a relay, the log is how a person finds the link (confirmations, resets).
        log.info("mail to %s: %s (written to %s) %s", to, subject, path,
                 " ".join(LINK.findall(body)))

    def _write(self, path: Path, data: bytes) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)  # readers never see half a mail


class SmtpMailer:
    """smtp://[user:pass@]host[:25], smtp+starttls://host[:587] or smtps://host[:465]."""

    def __init__(self, url: str, sender: str, timeout: float = 30.0) -> None:
        u = urlparse(url)
        if u.scheme not in ("smtp", "smtp+starttls", "smtps") or not u.hostname:
            raise ValueError(f"unsupported SMTP relay URL {url!r}")
        self._scheme, self._host = u.scheme, u.hostname
        self._port = u.port or {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[u.scheme]
        self._user = unquote(u.username) if u.username else None
        self._password = unquote(u.password or "")
        self._sender, self._timeout = sender, timeout

    async def send(self, to: str, subject: str, body: str) -> None:
        # smtplib is blocking and well proven; a thread keeps the event loop free.
        await asyncio.to_thread(self._send, compose(self._sender, to, subject, body))
        log.info("mail to %s: %s (relayed via %s)", to, subject, self._host)

    def _send(self, msg: EmailMessage) -> None:
        ctx = ssl.create_default_context()
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=ctx)
            if self._scheme == "smtps" else
            smtplib.SMTP(self._host, self._port, timeout=self._timeout))
        with smtp:
            if self._scheme == "smtp+starttls":
                smtp.starttls(context=ctx)
            if self._user:
                smtp.login(self._user, self._password)
            smtp.send_message(msg)


def make_mailer(settings: Settings) -> Mailer:
    if settings.smtp_relay_url:
        return SmtpMailer(settings.smtp_relay_url, settings.mail_from)
    return MailDirMailer(settings.mail_dir, settings.mail_from)
