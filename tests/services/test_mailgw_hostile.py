"""Malformed and hostile mail never crashes the gateway nor leaves a half-made notification."""

from __future__ import annotations

import base64
import io
import zipfile

import httpx
import pytest
from overpush.models import Message
from overpush.settings import Settings
from sqlalchemy import select

from services.admin import accounts as admin
from services.runner import Runner
from testkit.device import DesktopDevice
from tests.factories import PASSWORD
from tests.mailtools import send

HEAD = b"From: a@example.org\r\nTo: x@pomail.net\r\nSubject: hostile\r\n"


def zip_bomb() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("zeros.bin", b"\0" * (20 * 1024 * 1024))
    return buf.getvalue()


def nested(depth: int) -> bytes:
    out = b"deepest text\r\n"
    for i in range(depth):
        b = f"b{i}".encode()
        out = (b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n"
               + out + b"\r\n--" + b + b"--\r\n")
    return HEAD + b"MIME-Version: 1.0\r\n" + out


def corpus() -> dict[str, bytes]:
    bomb = base64.encodebytes(zip_bomb()).replace(b"\n", b"\r\n")
    many = b"".join(b"--m\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(800))
    return {
        "empty": b"",
        "only headers": HEAD,
        "no colon headers": b"this is not a header\r\nnor this\r\n\r\nbody\r\n",
        "broken boundary": HEAD + b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n"
                           b"--zz\r\nContent-Type: text/plain\r\n\r\nunterminated",
        "multipart without boundary": HEAD + b"Content-Type: multipart/alternative\r\n\r\nhi",
        "huge folded subject": b"Subject: " + b"\r\n ".join([b"word" * 200] * 150)
                               + b"\r\n\r\nbody\r\n",
        "many headers": b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 900) for i in range(200))
                        + b"\r\nbody\r\n",
        "unknown charset": HEAD + b"Content-Type: text/plain; charset=x-no-such\r\n\r\n\xff\xfe ok",
        "lying utf-8": HEAD + b"Content-Type: text/plain; charset=utf-8\r\n\r\ncaf\xe9 \xc3\x28",
        "bogus encoded word": b"Subject: =?x-bogus?q?abc?= =?utf-8?b?!!!?= =?utf-8?q?=ZZ?=\r\n"
                              b"\r\nbody\r\n",
        "8-bit subject": b"Subject: Gr\xfc\xdfe aus K\xf6ln\r\n\r\n8-bit body \xe4\xf6\xfc\r\n",
        "nested 300": nested(300),
        "nested 2000": nested(2000),
        "800 parts": HEAD + b"Content-Type: multipart/mixed; boundary=m\r\n\r\n" + many
                     + b"--m--\r\n",
        "zip bomb": HEAD + b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"
                    b"Content-Type: text/plain\r\n\r\nsee attachment\r\n--q\r\n"
                    b"Content-Type: application/zip; name=a.zip\r\n"
                    b"Content-Transfer-Encoding: base64\r\n\r\n" + bomb + b"--q--\r\n",
        "fake image": HEAD + b"Content-Type: multipart/mixed; boundary=q\r\n\r\n--q\r\n"
                      b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                      b"PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\r\n--q--\r\n",
        "NULs": HEAD + b"\r\nbefore\x00\x00after\x00\r\n\x00\r\n",
        "NUL subject": b"Subject: a\x00b\r\n\r\nx\r\n",
        "bad base64": HEAD + b"Content-Transfer-Encoding: base64\r\n\r\n@@@@not base64!!\r\n",
        "bad qp": HEAD + b"Content-Transfer-Encoding: quoted-printable\r\n\r\n=ZZ=\r\n=4\r\n",
        "html with script": HEAD + b"Content-Type: text/html\r\n\r\n<script>alert(1)</script>"
                            b"<style>p{}</style><p>Hello &amp; <b>bye</b></p><!-- x -->",
        "broken html": HEAD + b"Content-Type: text/html\r\n\r\n<p <<<>>> </div></div><a href=",
        "long line": HEAD + b"\r\n" + b"z" * 50_000 + b"\r\n",
        "bare LF": (HEAD + b"\r\n" + b"line\n" * 400).replace(b"\r\n", b"\n"),
        "bad date": HEAD + b"Date: yesterday-ish, 99 Foo 20x6 99:99:99 +9999\r\n\r\nbody\r\n",
        "tiny year date": HEAD + b"Date: Mon, 1 Jan 0001 00:00:00 +0000\r\n\r\nbody\r\n",
        "rfc822 inside": HEAD + b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhi",
        "over size": HEAD + b"\r\n" + (b"a" * 900 + b"\r\n") * 400,
    }


@pytest.fixture(autouse=True)
def _mail_limits(settings: Settings) -> None:
    settings.mail_max_bytes = 256 * 1024
    settings.mail_rate_burst = 1000


@pytest.mark.timeout(300)
async def test_hostile_corpus(server: Runner, settings: Settings, base_url: str) -> None:
    host, port = settings.smtp_host, settings.smtp_port
    out = await admin.create_user(server.rt, "target@example.com", PASSWORD)
    address = out["email_alias"]
    async with httpx.AsyncClient(timeout=10) as http:
        device = DesktopDevice(base_url, "target@example.com", PASSWORD)
        await device.login(http)
        await device.register(http)

    accepted = 0
    for name, raw in corpus().items():
        reply = await send(host, port, address, raw, as_is=True)
        # 250, or the sender's fault (5xx); never our failure (4xx), never a dropped connection.
        assert reply.code == 250 or 500 <= reply.code < 600, (name, reply)
        accepted += reply.code == 250

    # Still healthy afterwards.
    ok = await send(host, port, address, b"Subject: still alive\r\n\r\nyes\r\n")
    assert ok.code == 250, ok
    async with server.rt.sessions() as session:
        rows = (await session.scalars(select(Message))).all()
    assert len(rows) == accepted + 1  # one whole message per 250, nothing for a refusal
    for m in rows:
        assert m.body.strip() and len(m.body) <= 1024 and "\x00" not in m.body
        assert m.title is None or (len(m.title) <= 250 and "\x00" not in m.title)
    bodies = {m.body for m in rows}
    assert "Hello & bye" in bodies  # HTML-only mail, as text, without script or style
    assert "8-bit body äöü" in bodies  # 8-bit without a charset read as the usual cp1252
    assert "beforeafter" in bodies
