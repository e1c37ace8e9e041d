"""Pure parts of the e-mail gateway: parsing, text decoding, options, answers, rate limit."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from overpush.aliases import AliasOptions, alias_name, alias_options, local_part
from overpush.errors import ApiError, E, smtp_reply
from overpush.ratelimit import RateLimiter

from services.mailgw.options import message_params, timestamp_for
from services.mailgw.parse import IMAGE_MAX, ParsedMail, parse, sniff_image
from services.mailgw.text import TRUNCATED, html_to_text

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 40
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def test_rfc2047_subject_and_quoted_printable_body() -> None:
    raw = (b"Subject: =?iso-8859-1?q?Gr=FC=DFe?= =?utf-8?b?8J+Ulg==?=\r\n"
           b"Date: Thu, 26 Nov 2026 23:10:00 -0500\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"Temperatur =C3=BCber 30=C2=B0C, sehr lange Zeile die weich umbrochen=\r\n wird\r\n")
    mail = parse(raw)
    assert mail.title == "Grüße🔖"  # RFC 2047 §6.2: space between encoded words goes
    assert mail.body == "Temperatur über 30°C, sehr lange Zeile die weich umbrochen wird"
    assert mail.written_at == datetime(2026, 11, 27, 4, 10, tzinfo=UTC)


@pytest.mark.parametrize("charset", ["koi8-r", "shift_jis", "gb2312", "iso-8859-2",
                                     "windows-1251", "utf-16", "big5", "euc-kr"])
def test_common_charsets_in_base64(charset: str) -> None:
    text = {"koi8-r": "Привет", "shift_jis": "こんにちは", "gb2312": "你好",
            "iso-8859-2": "Żółć", "windows-1251": "Здравей", "utf-16": "Grüße",
            "big5": "你好", "euc-kr": "안녕하세요"}[charset]
    body = base64.b64encode(text.encode(charset))
    raw = (f"Subject: x\r\nContent-Type: text/plain; charset={charset}\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n").encode() + body + b"\r\n"
    assert parse(raw).body == text


def test_html_only_mail_becomes_text() -> None:
    m = EmailMessage()
    m["Subject"] = "Report"
    m.set_content("<html><head><title>t</title><style>b{}</style></head><body>"
                  "<h1>Done</h1><p>3 &lt; 4 &amp; <b>ok</b></p><script>x()</script>"
                  "<ul><li>one</li><li>two</li></ul></body></html>", subtype="html")
    assert parse(m.as_bytes()).body == "Done\n\n3 < 4 & ok\n\none\n\ntwo"
    assert html_to_text("<p>a<br>b</p>") == "a\nb"


def test_plain_preferred_in_alternative_and_first_image_kept() -> None:
    m = EmailMessage()
    m["Subject"] = "Snapshot"
    m.set_content("plain version")
    m.add_alternative("<p>html version</p>", subtype="html")
    m.add_attachment(b"not an image", maintype="application", subtype="pdf", filename="a.pdf")
    m.add_attachment(PNG, maintype="application", subtype="octet-stream", filename="cam.png")
    m.add_attachment(b"GIF89a" + b"\0" * 20, maintype="image", subtype="gif", filename="b.gif")
    mail = parse(m.as_bytes())
    assert mail.body == "plain version"
    assert mail.image is not None
    assert (mail.image.filename, mail.image.content_type, mail.image.data) == (
        "cam.png", "image/png", PNG)


def test_declared_image_that_is_not_one_is_ignored() -> None:
    m = EmailMessage()
    m.set_content("x")
    m.add_attachment(b"<svg onload=alert(1)>", maintype="image", subtype="png", filename="a.png")
    assert parse(m.as_bytes()).image is None
    assert sniff_image(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"


def test_image_over_the_attachment_limit_is_skipped_for_the_next_one() -> None:
    m = EmailMessage()
    m.set_content("x")
    m.add_attachment(PNG + b"\0" * IMAGE_MAX, maintype="image", subtype="png", filename="a.png")
    m.add_attachment(PNG, maintype="image", subtype="png", filename="small.png")
    mail = parse(m.as_bytes())
    assert mail.body == "x" and mail.image is not None and mail.image.filename == "small.png"


def test_long_body_cut_with_marker_and_long_subject_cut() -> None:
    raw = b"Subject: " + b"s" * 400 + b"\r\n\r\n" + (b"word " * 100 + b"\r\n") * 10
    mail = parse(raw)
    assert len(mail.body) == 1024 and mail.body.endswith(TRUNCATED)
    assert mail.title is not None and len(mail.title) == 250 and mail.title.endswith(TRUNCATED)


def test_eight_bit_without_charset_and_nuls() -> None:
    mail = parse(b"Subject: caf\xe9\x00\r\n\r\nna\xefve\x00 r\xe9sum\xe9\r\n")
    assert (mail.title, mail.body) == ("café", "naïve résumé")
    assert parse(b"Subject: x\r\n\r\n\xe2\x82\xac 5\r\n").body == "€ 5"


@pytest.mark.parametrize("date", [None, "yesterday", "Mon, 32 Foo 2026 25:00:00 +0000"])
def test_unreadable_dates_give_none(date: str | None) -> None:
    raw = (f"Date: {date}\r\n" if date else "").encode() + b"Subject: x\r\n\r\ny\r\n"
    assert parse(raw).written_at is None


def test_timestamp_rules() -> None:
    mail = ParsedMail("t", "b", NOW - timedelta(hours=1))
    assert timestamp_for(mail, AliasOptions(), NOW) == int((NOW - timedelta(hours=1)).timestamp())
    assert timestamp_for(mail, AliasOptions(ignore_timestamps=True), NOW) is None
    assert timestamp_for(ParsedMail("t", "b", NOW + timedelta(minutes=5)), AliasOptions(),
                         NOW) is None
    assert timestamp_for(ParsedMail("t", "b", None), AliasOptions(), NOW) is None


def test_message_params_use_subject_when_body_is_empty() -> None:
    p = message_params(ParsedMail("Disk full", "", None), AliasOptions("siren", 1, "phone"),
                       "T" * 30, "U" * 30, NOW)
    assert (p["message"], p["title"], p["sound"], p["priority"], p["device"]) == (
        "Disk full", None, "siren", "1", "phone")


def test_addresses_and_alias_names() -> None:
    assert local_part("<Alerts@PoMail.Net>", "pomail.net") == "alerts"
    assert local_part("alerts@example.com", "pomail.net") is None
    assert local_part("pomail.net", "pomail.net") is None
    assert alias_name("Garage-Door@pomail.net", "pomail.net") == "garage-door"
    for bad in ("ab", "-x1", "postmaster", "a b c", "x" * 65, "näh"):
        with pytest.raises(ApiError):
            alias_name(bad, "pomail.net")


def test_alias_options_report_every_problem() -> None:
    with pytest.raises(ApiError) as info:
        alias_options({"sound": "nope", "priority": "2", "device": "bad name!"})
    assert {e.spec for e in info.value.errors} == {
        E.SOUND_INVALID, E.PRIORITY_INVALID, E.DEVICE_INVALID}
    assert alias_options({"ignore_timestamps": "true", "priority": "-1"}) == AliasOptions(
        None, -1, None, True)


def test_smtp_replies() -> None:
    assert smtp_reply(ApiError.of(E.UNAVAILABLE)).startswith("451 4.3.0")
    assert smtp_reply(ApiError.of(E.QUOTA_EXCEEDED)).startswith("552 5.2.2")
    assert smtp_reply(ApiError.of(E.USER_NO_DEVICES)).startswith("550 5.1.1")
    assert smtp_reply(ApiError.of(E.MESSAGE_BLANK)).startswith("554 5.6.0")
    assert smtp_reply(ApiError.of(E.TOKEN_INVALID)).startswith("451")


def test_rate_limiter_burst_then_refill() -> None:
    rl = RateLimiter(per_minute=60, burst=3)
    assert [rl.allow("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert rl.allow("b", 0.0)  # per address
    assert not rl.allow("a", 0.5) and rl.allow("a", 1.6)
