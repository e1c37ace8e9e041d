"""The pure parts of the web pages: usage chart geometry, first-run steps, wording, policy."""

from __future__ import annotations

from datetime import date, timedelta

from overpush.errors import ApiError, E, FieldError

from services.api.web import chart, firstrun, wording
from services.api.web.error_pages import is_api
from services.api.web.headers import policy, security_headers
from services.api.web.recovery import is_recovery_code, new_codes, normalise

DAYS = [date(2026, 11, 1) + timedelta(days=i) for i in range(30)]


def test_count_axis_uses_round_steps() -> None:
    assert [chart.step_for(p) for p in (0, 1, 3, 4, 7, 10, 130, 999, 7500)] == \
        [1, 1, 1, 1, 2, 5, 50, 500, 2000]


def test_chart_has_an_axis_dates_and_a_bar_per_day() -> None:
    series = [(d, 0) for d in DAYS]
    series[29] = (DAYS[29], 130)
    series[3] = (DAYS[3], 20)
    c = chart.usage_chart(series)
    assert [t.label for t in c.counts] == ["0", "50", "100", "150"]
    assert c.counts[0].at == c.bottom and c.counts[-1].at == c.top
    assert [t.label for t in c.dates] == ["2 Nov", "9 Nov", "16 Nov", "23 Nov", "30 Nov"]
    assert len(c.bars) == 30 and c.bars[29].height > c.bars[3].height > c.bars[0].height == 0
    assert all(c.left <= b.x and b.x + b.width <= c.right for b in c.bars)
    assert c.summary == "150 messages in the last 30 days; the busiest day was 30 Nov with 130."


def test_an_empty_month_still_has_a_scale() -> None:
    c = chart.usage_chart([(d, 0) for d in DAYS])
    assert [t.label for t in c.counts] == ["0", "1", "2", "3", "4"]
    assert c.summary == "No messages in the last 30 days."
    assert chart.usage_chart([(DAYS[0], 1)]).summary.startswith("1 message in")


def test_first_run_shows_until_done_and_once_after() -> None:
    fresh = firstrun.first_run(False, False, False, False)
    assert fresh.show and fresh.done_count == 0
    assert [s.key for s in fresh.steps] == ["device", "app", "test"]
    assert not firstrun.first_run(True, True, True, just_sent=False).show
    assert firstrun.first_run(True, True, True, just_sent=True).show


def test_notices_come_from_a_fixed_set() -> None:
    assert wording.notice("test_sent") is not None
    assert wording.notice("Call us now") is None and wording.notice("") is None


def test_errors_are_explained_with_a_next_step() -> None:
    said = wording.explain(ApiError.of(E.USER_NO_DEVICES))
    assert "no active device" in said.text and said.href == "/#add-device"
    both = wording.explain(ApiError([FieldError(E.MESSAGE_BLANK), FieldError(E.SOUND_INVALID)]))
    assert both.text == "Write a message to send. Pick one of the sounds in the list."
    plain = wording.explain(ApiError.of(E.TTL_INVALID))
    assert plain.text == "Ttl must be a positive integer."


def test_policy_widens_only_what_a_route_asks_for() -> None:
    strict = policy()
    wider = policy({"form-action": ("https://example.com",)})
    assert wider == strict.replace("form-action 'self'", "form-action 'self' https://example.com")
    assert "'unsafe-inline'" not in strict and "frame-ancestors 'none'" in strict
    assert ("Strict-Transport-Security", "max-age=60") in security_headers(60)
    assert all(name != "Strict-Transport-Security" for name, _ in security_headers(0))


def test_recovery_codes_are_readable_and_forgiving() -> None:
    codes = new_codes()
    assert len(codes) == len(set(codes)) == 10
    assert all(is_recovery_code(c) and len(c) == 11 and c[5] == "-" for c in codes)
    assert normalise(" AB2CD-EF3GH ") == "ab2cdef3gh"
    assert not is_recovery_code("123456") and not is_recovery_code("o0o0o-l1l1l")


def test_errors_stay_json_where_machines_ask() -> None:
    assert all(is_api(p) for p in ("/1/nope.json", "/2/messages.json", "/1/x", "/healthz",
                                   "/3/sounds.xml"))
    assert not any(is_api(p) for p in ("/", "/no-such-page", "/apps/9", "/static/x.css"))
