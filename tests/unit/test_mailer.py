"""The mail seam: a real SMTP conversation with a local relay, and the mail folder."""

from __future__ import annotations

import email
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from overpush.mailer import MailDirMailer, SmtpMailer, make_mailer
from overpush.settings import Settings

from testkit.backends import free_port


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


async def test_smtp_relay() -> None:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mailer = make_mailer(Settings(smtp_relay_url=f"smtp://127.0.0.1:{port}",
                                      mail_from="Overpush <ops@example.net>"))
        assert isinstance(mailer, SmtpMailer)
        await mailer.send("ann@example.com", "Device disabled", "Hello Ann")
    finally:
        controller.stop()
    ((sender, rcpts, raw),) = inbox.mails
    assert (sender, rcpts) == ("ops@example.net", ["ann@example.com"])
    msg = email.message_from_bytes(raw)
    assert msg["Subject"] == "Device disabled" and "Hello Ann" in msg.get_payload()


async def test_mail_folder(tmp_path: Path) -> None:
    mailer = make_mailer(Settings(mail_dir=str(tmp_path / "mail")))
    assert isinstance(mailer, MailDirMailer)
    await mailer.send("ann@example.com", "Hi", "Body text")
    (path,) = (tmp_path / "mail").glob("*.eml")
    msg = email.message_from_bytes(path.read_bytes())
    assert (msg["To"], msg["Subject"]) == ("ann@example.com", "Hi")


def test_bad_relay_url() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        SmtpMailer("http://example.com", "x@y.z")
