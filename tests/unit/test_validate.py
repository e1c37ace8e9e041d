"""parse_message: every failure case and limit of spec §1.1, and the real-client quirks (§12)."""

from __future__ import annotations

import pytest
from overpush.errors import ApiError, E, ErrorSpec
from overpush.intake.validate import MessageDraft, parse_message

TOKEN = "azGDORePK8gMaC0QOYAMyEEuzJnyUi"
USER = "uQiRzpo4DXghDmr9QzzfQu27cmVRsG"
USER2 = "gznej3rKEVAvPUxu9vvNnqpmZpokzF"
EMOJI = "\U0001f600"  # four bytes in UTF-8, one character


def ok(**params: str | None) -> MessageDraft:
    return parse_message({"token": TOKEN, "user": USER, "message": "hello", **params})


def errors(**params: str | None) -> ApiError:
    base: dict[str, str | None] = {"token": TOKEN, "user": USER, "message": "hello"}
    base.update(params)
    with pytest.raises(ApiError) as info:
        parse_message(base)
    return info.value


def only(err: ApiError, spec: ErrorSpec) -> str:
    """Asserts the error is exactly one problem of `spec`; returns its text."""
    assert [e.spec for e in err.errors] == [spec]
    assert err.status == spec.status
    return err.errors[0].message


def test_minimal_message_is_accepted_with_defaults() -> None:
    d = ok()
    assert d == MessageDraft(token=TOKEN, users=(USER,), message="hello")


def test_every_optional_field_is_carried() -> None:
    d = ok(title="T", url="https://e.com", url_title="U", priority="-2", sound="bike",
           timestamp="1331249662", ttl="60", device="iphone,nexus5", monospace="1")
    assert (d.title, d.url, d.url_title, d.priority, d.sound) == (
        "T", "https://e.com", "U", -2, "bike")
    assert (d.timestamp, d.ttl, d.devices, d.monospace, d.html) == (
        1331249662, 60, ("iphone", "nexus5"), True, False)


# -- token ---------------------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "", "   ", "short", TOKEN + "x", TOKEN[:-1] + "!"])
def test_token_missing_or_malformed(token: str | None) -> None:
    err = errors(token=token)
    assert only(err, E.TOKEN_INVALID) == "application token is invalid"
    assert err.body("r")["token"] == "invalid"


def test_token_with_surrounding_whitespace_is_trimmed() -> None:
    assert ok(token=f"  {TOKEN}\n").token == TOKEN


# -- user ----------------------------------------------------------------------------------

@pytest.mark.parametrize("user", [None, "", " ", ",", " , "])
def test_user_missing(user: str | None) -> None:
    assert only(errors(user=user), E.USER_MISSING) == "user identifier is invalid"


@pytest.mark.parametrize("user", ["nope", USER + "a", USER[:-1] + "-", f"{USER},bad"])
def test_user_malformed(user: str) -> None:
    err = errors(user=user)
    only(err, E.USER_INVALID)
    assert err.body("r")["user"] == "invalid"


def test_user_list_is_split_trimmed_and_deduplicated() -> None:
    assert ok(user=f"{USER}, {USER2},{USER}").users == (USER, USER2)


def test_fifty_users_pass_and_fifty_one_do_not() -> None:
    keys = [f"{i:030d}" for i in range(51)]
    assert len(ok(user=",".join(keys[:50])).users) == 50
    only(errors(user=",".join(keys)), E.TOO_MANY_USERS)


# -- message -------------------------------------------------------------------------------

@pytest.mark.parametrize("message", [None, "", "   ", "\n\t "])
def test_message_blank(message: str | None) -> None:
    err = errors(message=message)
    assert only(err, E.MESSAGE_BLANK) == "message cannot be blank"
    assert err.body("r")["message"] == "invalid"


def test_message_limit_counts_characters_not_bytes() -> None:
    assert ok(message=EMOJI * 1024).message == EMOJI * 1024
    assert ok(message="a" * 1024).message == "a" * 1024
    text = only(errors(message=EMOJI * 1025), E.MESSAGE_TOO_LONG)
    assert text == "message is too long; the limit is 1024 characters"
    only(errors(message="a" * 1025), E.MESSAGE_TOO_LONG)


def test_message_keeps_its_lines_and_spaces() -> None:
    assert ok(message="  line 1\nline 2  ").message == "  line 1\nline 2  "


# -- title, url, url_title -----------------------------------------------------------------

@pytest.mark.parametrize(("field", "limit", "spec"), [
    ("title", 250, E.TITLE_TOO_LONG),
    ("url", 512, E.URL_TOO_LONG),
    ("url_title", 100, E.URL_TITLE_TOO_LONG),
])
def test_text_field_limits(field: str, limit: int, spec: ErrorSpec) -> None:
    assert getattr(ok(**{field: EMOJI * limit}), field) == EMOJI * limit
    err = errors(**{field: EMOJI * (limit + 1)})
    assert only(err, spec) == f"{field} is too long; the limit is {limit} characters"
    assert err.body("r")[field] == "invalid"


@pytest.mark.parametrize("field", ["title", "url", "url_title", "sound"])
def test_empty_optional_fields_mean_absent(field: str) -> None:
    # apprise sends title="" on follow-up sends; most clients drop empty fields.
    assert getattr(ok(**{field: ""}), field) is None


# -- priority ------------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "value"), [
    ("-2", -2), ("-1", -1), ("0", 0), ("1", 1), (" 1 ", 1), ("", 0), (None, 0),
])
def test_priority_accepted(raw: str | None, value: int) -> None:
    assert ok(priority=raw).priority == value


@pytest.mark.parametrize("raw", ["high", "1.0", "3", "-3", "1_0", "\u0661", "9" * 5000])
def test_priority_rejected(raw: str) -> None:
    err = errors(priority=raw)
    assert only(err, E.PRIORITY_INVALID) == "priority must be -2, -1, 0, 1 or 2"
    assert err.body("r")["priority"] == "invalid"


def test_emergency_priority_needs_retry_and_expire() -> None:
    err = errors(priority="2")
    assert [e.spec for e in err.errors] == [E.RETRY_INVALID, E.EXPIRE_INVALID]
    assert ok(priority="2", retry="30", expire="3600").priority == 2


# -- sound ---------------------------------------------------------------------------------

@pytest.mark.parametrize("sound", ["pushover", "bike", "none", "vibrate", " siren "])
def test_builtin_sounds_accepted(sound: str) -> None:
    assert ok(sound=sound).sound == sound.strip()


def test_malformed_sound_rejected_and_named() -> None:
    # Whether a well-formed name exists (built in, or uploaded for this app) is decided in
    # accept, once the app is known; here only the name's shape is checked.
    assert ok(sound="kazoo").sound == "kazoo"
    err = errors(sound="kazoo!")
    assert only(err, E.SOUND_INVALID) == "sound 'kazoo!' is not a valid sound"
    assert err.body("r")["sound"] == "invalid"


# -- timestamp, ttl ------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["yesterday", "1.5", "-1", str(2**33), "1_331_249_662"])
def test_timestamp_invalid(raw: str) -> None:
    err = errors(timestamp=raw)
    only(err, E.TIMESTAMP_INVALID)
    assert err.body("r")["timestamp"] == "invalid"


def test_timestamp_zero_and_empty() -> None:
    assert ok(timestamp="0").timestamp == 0
    assert ok(timestamp="").timestamp is None


@pytest.mark.parametrize("raw", ["0", "-5", "abc", "1.5", str(2**31), "1_0", "\u0663"])
def test_ttl_invalid(raw: str) -> None:
    err = errors(ttl=raw)
    assert only(err, E.TTL_INVALID) == "ttl must be a positive integer"
    assert err.body("r")["ttl"] == "invalid"


def test_ttl_positive_and_empty() -> None:
    assert ok(ttl="1").ttl == 1
    assert ok(ttl="").ttl is None


# -- device --------------------------------------------------------------------------------

@pytest.mark.parametrize("device", ["bad name", "x" * 26, "iphone,dröid", "a.b", "ok,no!"])
def test_device_names_invalid(device: str) -> None:
    err = errors(device=device)
    only(err, E.DEVICE_INVALID)
    assert err.body("r")["device"] == "invalid"


@pytest.mark.parametrize(("raw", "devices"), [
    ("iphone", ("iphone",)),
    ("iphone,nexus5", ("iphone", "nexus5")),  # comma-joined (apprise, pushover-php)
    ("iphone, droid_2 ,", ("iphone", "droid_2")),
    ("ALL_DEVICES", ("ALL_DEVICES",)),  # apprise's literal; the dispatcher sends to all
    ("x" * 25, ("x" * 25,)),
    ("", ()),
])
def test_device_names_accepted(raw: str, devices: tuple[str, ...]) -> None:
    assert ok(device=raw).devices == devices


# -- html, monospace -----------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "on"), [
    ("1", True), ("true", True), ("True", True), ("0", False), ("False", False),
    ("false", False), ("", False), (None, False),
])
def test_html_flag_values_from_real_clients(raw: str | None, on: bool) -> None:
    # pushover-complete sends html=False by default, as a string.
    assert ok(html=raw).html is on
    assert ok(monospace=raw).monospace is on


def test_html_and_monospace_together_rejected() -> None:
    err = errors(html="1", monospace="True")
    assert only(err, E.HTML_AND_MONOSPACE) == "html and monospace cannot be used together"
    assert err.body("r")["monospace"] == "invalid"


def test_html_off_with_monospace_on_is_fine() -> None:
    d = ok(html="False", monospace="1")
    assert (d.html, d.monospace) == (False, True)


# -- all problems at once ------------------------------------------------------------------

def test_every_problem_is_reported_together_with_per_field_keys() -> None:
    with pytest.raises(ApiError) as info:
        parse_message({
            "token": "bad", "user": "", "message": " ", "title": "t" * 251, "url": "u" * 513,
            "url_title": "v" * 101, "device": "no way", "priority": "9", "sound": "kazoo!",
            "timestamp": "-1", "ttl": "0", "html": "1", "monospace": "1",
        })
    err = info.value
    assert [e.spec for e in err.errors] == [
        E.TOKEN_INVALID, E.USER_MISSING, E.MESSAGE_BLANK, E.TITLE_TOO_LONG, E.URL_TOO_LONG,
        E.URL_TITLE_TOO_LONG, E.DEVICE_INVALID, E.PRIORITY_INVALID, E.SOUND_INVALID,
        E.TIMESTAMP_INVALID, E.TTL_INVALID, E.HTML_AND_MONOSPACE,
    ]
    body = err.body("req-1")
    for key in ("token", "user", "message", "title", "url", "url_title", "device", "priority",
                "sound", "timestamp", "ttl", "monospace"):
        assert body[key] == "invalid", key
    assert body["errors"] == [e.message for e in err.errors]
    assert (body["status"], body["request"], err.status) == (0, "req-1", 400)
