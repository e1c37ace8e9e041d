"""The pure rules of account security: one-time TOTP steps, the address as an identity, which
URLs run code or are web links, and when a browser session has ended."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from overpush.apps import is_web_url, runs_code
from overpush.models import WebSession
from overpush.two_factor import totp_step
from overpush.users import email_key

from services.api.web.sessions import alive

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOW = datetime(2026, 11, 30, 12, 0, 7, tzinfo=UTC)  # fixed: codes never collide
STEP = int(NOW.timestamp()) // 30


def code_at(step: int) -> str:
    return pyotp.TOTP(SECRET).at(step * 30)


def test_a_code_is_good_for_its_step_and_one_either_side() -> None:
    for offset in (-1, 0, 1):
        assert totp_step(SECRET, code_at(STEP + offset), NOW, None) == STEP + offset
    assert totp_step(SECRET, code_at(STEP + 2), NOW, None) is None
    assert totp_step(SECRET, code_at(STEP - 2), NOW, None) is None


def test_a_step_already_used_is_refused() -> None:
    assert totp_step(SECRET, code_at(STEP), NOW, STEP) is None
    assert totp_step(SECRET, code_at(STEP - 1), NOW, STEP - 1) is None
    assert totp_step(SECRET, code_at(STEP + 1), NOW, STEP) == STEP + 1


@pytest.mark.parametrize("code", ["", "12345", "1234567", "١٢٣٤٥٦", "abcdef"])
def test_what_cannot_be_a_code(code: str) -> None:
    assert totp_step(SECRET, code, NOW, None) is None


def test_spaces_in_a_typed_code_are_ignored() -> None:
    c = code_at(STEP)
    assert totp_step(SECRET, f" {c[:3]} {c[3:]} ", NOW, None) == STEP


def test_an_address_is_one_identity_whatever_its_case() -> None:
    assert email_key(" Bob@Example.COM ") == email_key("bob@example.com") == "bob@example.com"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JAVASCRIPT:x", " javascript:x",
                                 "java\tscript:x", "java\nscript:x", "\x00javascript:x",
                                 "data:text/html,x", "vbscript:x"])
def test_urls_that_run_code(url: str) -> None:
    assert runs_code(url)


@pytest.mark.parametrize("url", ["tel:+1555", "twitter://x", "https://a.example/", "myapp:x",
                                 "mailto:a@b.example", "javascriptish://x"])
def test_urls_that_do_not(url: str) -> None:
    assert not runs_code(url)


@pytest.mark.parametrize("url,web", [("https://a.example/x", True), ("HTTP://a.example", True),
                                     ("http://", False), ("ftp://a.example", False),
                                     ("javascript:alert(1)", False), ("", False), (None, False),
                                     ("https://a.example/\tx", False), ("//a.example", False)])
def test_web_urls(url: str | None, web: bool) -> None:
    assert is_web_url(url) is web


def test_a_session_ends_when_idle_or_old() -> None:
    web = WebSession(created_at=NOW, expires_at=NOW + timedelta(days=14), last_seen_at=NOW)
    assert alive(web, NOW + timedelta(minutes=719), 720)
    assert not alive(web, NOW + timedelta(minutes=720), 720)
    web.last_seen_at = NOW + timedelta(days=13, hours=23)
    assert not alive(web, NOW + timedelta(days=14), 720)
    web.last_seen_at = None  # from before the upgrade: counted from its next use
    assert alive(web, NOW + timedelta(days=3), 720)
