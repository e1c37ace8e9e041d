"""Sending real e-mail over SMTP to the gateway, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import re
import smtplib
import ssl
from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    code: int
    text: str
    stage: str  # "rcpt", "data" or "ok"


def crlf(raw: bytes) -> bytes:
    """SMTP lines end in CRLF; smtplib does not convert bytes, a real MTA would."""
    return re.sub(rb"(?<!\r)\n", b"\r\n", raw)


def send_sync(host: str, port: int, to: str, raw: bytes, sender: str = "camera@example.org",
              timeout: float = 30, as_is: bool = False,
              tls: ssl.SSLContext | None = None) -> Reply:
    """One SMTP transaction; the answer to RCPT or DATA, whichever decided it."""
    raw = raw if as_is else crlf(raw)
    with smtplib.SMTP(host, port, timeout=timeout) as smtp:
        smtp.ehlo("client.example.org")
        if tls is not None:
            smtp.starttls(context=tls)
            smtp.ehlo("client.example.org")
        code, text = smtp.mail(sender)
        assert code == 250, (code, text)
        code, text = smtp.rcpt(to)
        if code != 250:
            smtp.rset()
            return Reply(code, text.decode(errors="replace"), "rcpt")
        try:
            code, text = smtp.data(raw)
        except smtplib.SMTPDataError as exc:
            return Reply(exc.smtp_code, exc.smtp_error.decode(errors="replace"), "data")
        return Reply(code, text.decode(errors="replace"), "ok" if code == 250 else "data")


async def send(host: str, port: int, to: str, raw: bytes, **kw: object) -> Reply:
    # smtplib blocks; the server may run on this very event loop.
    return await asyncio.to_thread(send_sync, host, port, to, raw, **kw)  # type: ignore[arg-type]
