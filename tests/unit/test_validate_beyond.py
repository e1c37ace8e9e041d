"""parse_message's additions beyond Pushover's wire format (issue 17): `encrypted=1`,
`send_at`, `dedup_key` and `dedup_window`."""

from __future__ import annotations

import base64
import os

import pytest
from overpush.errors import ApiError, E, ErrorSpec
from overpush.intake.validate import (
    DEDUP_WINDOW,
    MESSAGE_MAX,
    TITLE_MAX,
    URL_MAX,
    MessageDraft,
    ciphertext_max,
    parse_message,
)

TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"


def parse(**params: str) -> MessageDraft:
    return parse_message({"token": TOKEN, "user": USER, "message": "hello", **params})


def refused(**params: str) -> list[ErrorSpec]:
    with pytest.raises(ApiError) as info:
        parse(**params)
    return [e.spec for e in info.value.errors]


def cipher(n_bytes: int) -> str:
    """What apprise sends for a field: base64 of random-looking bytes."""
    return base64.b64encode(os.urandom(n_bytes)).decode()


def test_ciphertext_bound_covers_the_largest_plaintext() -> None:
    # 1024 four-byte characters, gzip's stored-block overhead, padding, IV and HMAC.
    worst = 16 + ((4 * MESSAGE_MAX + 23) // 16 + 1) * 16 + 32
    assert ciphertext_max(MESSAGE_MAX) >= len(base64.b64encode(bytes(worst)))
    assert ciphertext_max(MESSAGE_MAX) < 6 * MESSAGE_MAX  # still a bound


def test_encrypted_fields_are_kept_untouched_past_the_plaintext_limits() -> None:
    body, title, url = cipher(3000), cipher(900), cipher(1800)
    d = parse_message({"token": TOKEN, "user": USER, "encrypted": "1", "message": body,
                       "title": title, "url": url, "url_title": cipher(300), "html": "1"})
    assert d.encrypted and (d.message, d.title, d.url) == (body, title, url)
    assert len(body) > MESSAGE_MAX and len(title) > TITLE_MAX and len(url) > URL_MAX


def test_html_is_not_sanitised_when_encrypted() -> None:
    # Sanitising would rewrite this; ciphertext must reach the device byte for byte.
    text = "<script>x</script>AAAA+/=="
    assert parse(message=text, html="1", encrypted="1").message == text
    assert parse(message=text, html="1").message != text


def test_ciphertext_is_still_bounded() -> None:
    too_long = "A" * (ciphertext_max(MESSAGE_MAX) + 1)
    assert refused(message=too_long, encrypted="1") == [E.MESSAGE_TOO_LONG]
    assert refused(title="A" * (ciphertext_max(TITLE_MAX) + 1), encrypted="1") == [
        E.TITLE_TOO_LONG]
    assert refused(message="A" * (MESSAGE_MAX + 1)) == [E.MESSAGE_TOO_LONG]  # plaintext


def test_send_at_is_parsed_and_bounded() -> None:
    assert parse(send_at="1900000000").send_at == 1900000000
    assert parse().send_at is None
    for bad in ("soon", "-5", "0", "1.5", str(2**40)):
        assert refused(send_at=bad) == [E.SEND_AT_INVALID], bad


def test_dedup_key_and_window() -> None:
    d = parse(dedup_key="disk:db-1.full_v2")
    assert (d.dedup_key, d.dedup_window) == ("disk:db-1.full_v2", DEDUP_WINDOW)
    assert parse(dedup_key="k", dedup_window="60").dedup_window == 60
    assert parse(dedup_key="x" * 100).dedup_key == "x" * 100
    for bad in ("x" * 101, "a/b", "a b", "é", "a?b"):
        assert refused(dedup_key=bad) == [E.DEDUP_KEY_INVALID], bad
    for bad in ("0", "-1", str(30 * 86400 + 1), "day"):
        assert refused(dedup_key="k", dedup_window=bad) == [E.DEDUP_WINDOW_INVALID], bad
