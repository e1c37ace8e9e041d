"""The SMS decision and text, over values."""

from __future__ import annotations

from datetime import UTC, datetime

from overpush.team_sms import SMS_CHARS, decide, text

NOW = datetime(2026, 11, 2, tzinfo=UTC)


def test_decide() -> None:
    assert decide(None, None, "+15555550101", True) is None
    assert decide(NOW, None, "+15555550101", True) == "acknowledged"
    assert decide(None, NOW, "+15555550101", True) == "cancelled"
    assert decide(None, None, None, True) == "no_phone"
    assert decide(None, None, "+15555550101", False) == "not_configured"


def test_text_is_bounded() -> None:
    assert text("App", None, "down") == "App: down (not acknowledged)"
    assert len(text("App", "t", "x" * 1000)) == SMS_CHARS
