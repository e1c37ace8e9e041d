"""The emergency schedule, the callback URL checks and the priority-2 parameters (pure)."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest
from overpush.callbacks import CallbackRefused, allowed, parse
from overpush.errors import ApiError
from overpush.intake.validate import parse_message
from overpush.receipts import MAX_REALERTS, expiry, next_slot, on_due

T0 = datetime(2026, 11, 27, tzinfo=UTC)
KEY = "u" * 30


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_expiry_is_capped_by_fifty_retries() -> None:
    assert expiry(T0, 30, 10800) == at(1500)  # spec: retry 30 + expire 10800 stops at 25 min
    assert expiry(T0, 60, 600) == at(600)


def test_slots_are_anchored_at_creation() -> None:
    exp = expiry(T0, 30, 3600)
    assert next_slot(T0, 30, exp, T0, 0) == at(30)
    # A tick 4 s late does not push the later slots back.
    step = on_due(T0, 30, exp, 0, at(30), at(34))
    assert step.alert and step.attempts == 1 and step.next_attempt_at == at(60)


def test_missed_slots_give_one_catch_up_alert_not_a_burst() -> None:
    exp = expiry(T0, 30, 3600)
    step = on_due(T0, 30, exp, 1, at(60), at(200))
    assert step.alert and step.attempts == 2 and step.next_attempt_at == at(210)


def test_last_slot_at_expiry_alerts_then_closes() -> None:
    exp = expiry(T0, 30, 90)
    step = on_due(T0, 30, exp, 2, at(90), at(90.2))
    assert step.alert and step.next_attempt_at is None


def test_expire_shorter_than_retry_has_no_re_alerts() -> None:
    assert next_slot(T0, 60, expiry(T0, 60, 45), T0, 0) is None


def test_stale_slot_after_a_long_outage_closes_without_alert() -> None:
    exp = expiry(T0, 30, 300)
    step = on_due(T0, 30, exp, 3, at(120), at(5000))
    assert not step.alert and step.next_attempt_at is None


def test_at_most_fifty_re_alerts() -> None:
    exp = expiry(T0, 30, 10800)
    attempts, due, alerts = 0, next_slot(T0, 30, exp, T0, 0), 0
    while due is not None:
        step = on_due(T0, 30, exp, attempts, due, due)
        alerts += step.alert
        attempts, due = step.attempts, step.next_attempt_at
    assert alerts == MAX_REALERTS == 50


@pytest.mark.parametrize("ip", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "::1", "::", "::ffff:127.0.0.1", "64:ff9b::7f00:1",
    "2002:7f00:1::1", "fc00::1", "fe80::1", "ff02::1", "198.18.0.1",
    # IPv4 inside IPv6 in the older and rarer forms (issue 14, item 14), and reserved blocks.
    "::127.0.0.1", "::7f00:1", "::10.0.0.1", "::8.8.8.8", "::ffff:0:7f00:1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::1", "100::1", "2001:db8::1", "3fff::1",
    "5f00::1", "fec0::1",
])
def test_internal_addresses_are_refused(ip: str) -> None:
    assert not allowed(ipaddress.ip_address(ip))


@pytest.mark.parametrize("ip", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_allowed(ip: str) -> None:
    assert allowed(ipaddress.ip_address(ip))


@pytest.mark.parametrize("url", [
    "ftp://example.com/x", "https://user:pw@example.com/", "http:///path", "javascript:x",
    "https://example.com/" + "a" * 600, "http://exa mple.com/",
])
def test_malformed_callback_urls(url: str) -> None:
    with pytest.raises(CallbackRefused):
        parse(url)


def test_callback_target_keeps_path_query_and_host_header() -> None:
    t = parse("https://hooks.example.com:8443/a/b?x=1")
    assert (t.host, t.port, t.path, t.host_header) == (
        "hooks.example.com", 8443, "/a/b?x=1", "hooks.example.com:8443")


def base(**extra: str) -> dict[str, str | None]:
    return {"token": "a" * 30, "user": KEY, "message": "disk full", "priority": "2", **extra}


def test_priority_two_needs_retry_and_expire() -> None:
    with pytest.raises(ApiError) as err:
        parse_message(base())
    body = err.value.body("r")
    assert body["retry"] == "invalid" and body["expire"] == "invalid"


@pytest.mark.parametrize(("field", "value"), [("retry", "29"), ("expire", "10801"),
                                              ("expire", "0"), ("retry", "x")])
def test_retry_and_expire_limits(field: str, value: str) -> None:
    params = base(retry="30", expire="60")
    params[field] = value
    with pytest.raises(ApiError) as err:
        parse_message(params)
    assert err.value.body("r")[field] == "invalid"


def test_priority_two_draft_ignores_ttl_and_keeps_tags() -> None:
    d = parse_message(base(retry="30", expire="10800", ttl="60", tags="db, prod,,db",
                           callback="https://example.com/cb"))
    assert (d.priority, d.retry, d.expire, d.ttl) == (2, 30, 10800, None)
    assert d.tags == ("db", "prod") and d.callback == "https://example.com/cb"


def test_bad_callback_is_a_400_on_callback() -> None:
    with pytest.raises(ApiError) as err:
        parse_message(base(retry="30", expire="60", callback="ftp://x/"))
    assert err.value.body("r")["callback"] == "invalid"


def test_retry_is_ignored_below_priority_two() -> None:
    d = parse_message({**base(retry="1", expire="99999"), "priority": "1"})
    assert d.retry is None and d.expire is None
