"""The e-mail gateway end to end: SMTP over a real socket -> intake -> a device's WebSocket."""

from __future__ import annotations

import asyncio
import smtplib
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import httpx
import pytest
from overpush.models import App, MailAccount, User
from overpush.settings import Settings
from sqlalchemy import select, update

from services.admin import accounts as admin
from services.runner import Runner
from testkit.device import DesktopDevice
from tests.factories import PASSWORD, image_bytes
from tests.mailtools import send


@pytest.fixture(autouse=True)
def _mail_limits(settings: Settings) -> None:
    # Runs before `server` starts (autouse fixtures come first): a small size limit.
    settings.mail_max_bytes = 256 * 1024


def mail(subject: str, body: str, date: datetime | None = None, **headers: str) -> bytes:
    m = EmailMessage()
    m["From"] = "Camera <camera@example.org>"
    m["Subject"] = subject
    if date is not None:
        m["Date"] = format_datetime(date)
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    m.set_content(body, cte="quoted-printable")
    return m.as_bytes()


async def user_with_device(server: Runner, base_url: str, http: httpx.AsyncClient,
                           email: str) -> tuple[DesktopDevice, str]:
    out = await admin.create_user(server.rt, email, PASSWORD)
    device = DesktopDevice(base_url, email, PASSWORD, name="laptop")
    await device.login(http)
    await device.register(http)
    return device, out["email_alias"]


async def test_mail_becomes_notification(server: Runner, settings: Settings,
                                         base_url: str) -> None:
    host, port = settings.smtp_host, settings.smtp_port
    async with httpx.AsyncClient(timeout=10) as http:
        device, address = await user_with_device(server, base_url, http, "ann@example.com")
        assert address.endswith("@pomail.net")
        await device.connect()

        written = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
        reply = await send(host, port, address.upper(), mail(
            "Motion detected — Café door", "Someone is at the door.\nCamera 3, 02:14.",
            date=written,
        ))
        assert (reply.code, reply.stage) == (250, "ok"), reply
        [m] = await device.receive(http)
        assert m["title"] == "Motion detected — Café door"
        assert m["message"] == "Someone is at the door.\nCamera 3, 02:14."
        assert m["date"] == int(written.timestamp())  # sorted where it was written
        assert m["app"] == "E-mail" and "sound" not in m and m["priority"] == 0

        # A second address with its own options: sound, priority, ignore the Date header.
        r = await http.post(f"{base_url}/1/aliases.json", data={
            "secret": device.secret, "name": "Garage-Door", "sound": "siren", "priority": "1",
            "ignore_timestamps": "1",
        })
        assert r.status_code == 200, r.text
        alias = r.json()["alias"]
        assert alias["alias"] == "garage-door@pomail.net" and alias["sound"] == "siren"
        before = int(time.time())
        reply = await send(host, port, "<garage-door@POMAIL.NET>", mail(
            "=?utf-8?b?R2FyYWdlIG9wZW4g8J+aqg==?=", "left open", date=written,
        ))
        assert reply.code == 250, reply
        [m] = await device.receive(http)
        assert m["title"] == "Garage open 🚪"
        assert (m["message"], m["sound"], m["priority"]) == ("left open", "siren", 1)
        assert m["date"] >= before  # the alias ignores timestamps: time of receipt

        # A date in the future is not believed either.
        reply = await send(host, port, address, mail(
            "Clock drift", "from the future", date=datetime.now(UTC) + timedelta(days=3)
        ))
        assert reply.code == 250, reply
        [m] = await device.receive(http)
        assert before <= m["date"] <= int(time.time()) + 1
        await device.close()


async def test_refusals_at_rcpt_and_data(server: Runner, settings: Settings,
                                         base_url: str) -> None:
    host, port = settings.smtp_host, settings.smtp_port
    async with httpx.AsyncClient(timeout=10) as http:
        _, address = await user_with_device(server, base_url, http, "bob@example.com")
        lonely = await admin.create_user(server.rt, "nodevice@example.com", PASSWORD)

    unknown = await send(host, port, "nobody-here@pomail.net", mail("x", "y"))
    assert (unknown.code, unknown.stage) == (550, "rcpt") and "5.1.1" in unknown.text
    relay = await send(host, port, "someone@example.com", mail("x", "y"))
    assert (relay.code, relay.stage) == (550, "rcpt")

    # One recipient per transaction: the second is deferred (452) for another transaction.
    other = await admin.create_user(server.rt, "carl@example.com", PASSWORD)
    def sendmail() -> dict[str, tuple[int, bytes]]:
        with smtplib.SMTP(host, port, timeout=30) as smtp:
            return smtp.sendmail("cam@example.org", [
                address, other["email_alias"], "no-one@pomail.net"
            ], b"Subject: two\r\n\r\nfor both\r\n")

    refused = await asyncio.to_thread(sendmail)  # the server runs on this event loop
    assert refused[other["email_alias"]][0] == 452 and refused["no-one@pomail.net"][0] == 550

    big = await send(host, port, address, mail("big", "x" * 70 + ("\n" + "y" * 70) * 4000))
    assert (big.code, big.stage) == (552, "data"), big

    no_device = await send(host, port, lonely["email_alias"], mail("x", "y"))
    assert (no_device.code, no_device.stage) == (550, "data"), no_device

    # Over the monthly allowance of the user's own "E-mail" application (one used above by
    # the two-recipient mail): permanent, 552 5.2.2.
    async with server.rt.sessions() as session, session.begin():
        app_id = await session.scalar(
            select(MailAccount.app_id).join(User, User.id == MailAccount.user_id)
            .where(User.email == "bob@example.com")
        )
        await session.execute(update(App).where(App.id == app_id).values(monthly_limit=2))
    first = await send(host, port, address, mail("one", "fits"))
    assert first.code == 250, first
    over = await send(host, port, address, mail("two", "does not fit"))
    assert (over.code, over.stage) == (552, "data") and "5.2.2" in over.text


def photo_mail(subject: str, image: bytes, filename: str = "cam.jpg") -> bytes:
    m = EmailMessage()
    m["From"] = "Camera <camera@example.org>"
    m["Subject"] = subject
    m.set_content("Motion at the gate.")
    m.add_attachment(b"%PDF-1.4 not a picture", maintype="application", subtype="pdf",
                     filename="report.pdf")
    m.add_attachment(image, maintype="image", subtype="jpeg", filename=filename)
    return m.as_bytes()


async def test_mailed_photo_becomes_the_attachment(server: Runner, settings: Settings,
                                                   base_url: str) -> None:
    host, port = settings.smtp_host, settings.smtp_port
    jpeg = image_bytes("JPEG", (32, 24))
    async with httpx.AsyncClient(timeout=10) as http:
        device, address = await user_with_device(server, base_url, http, "dora@example.com")
        await device.connect()
        reply = await send(host, port, address, photo_mail("Gate", jpeg))
        assert reply.code == 250, reply
        [m] = await device.receive(http)
        assert (m["title"], m["message"]) == ("Gate", "Motion at the gate.")
        assert m["attachment_type"] == "image/jpeg" and m["attachment"].endswith(".jpg")
        assert m["attachment_bytes"] == jpeg  # downloaded by the device, byte for byte

        # PNG magic bytes on a truncated image: the intake's check refuses it, so the mail
        # arrives as text alone (documented: a bad picture never costs the alert).
        broken = image_bytes("PNG", (64, 64))[:60]
        reply = await send(host, port, address, photo_mail("Broken", broken, "b.png"))
        assert reply.code == 250, reply
        [m] = await device.receive(http)
        assert m["title"] == "Broken" and m["message"] == "Motion at the gate."
        assert "attachment" not in m and "attachment_type" not in m
        await device.close()
