"""Two-factor set-up that survives a wrong code, and one-time recovery codes (hashed at rest)
usable at the 2FA log-in step, to renew the codes and to turn 2FA off."""

from __future__ import annotations

import re

import pyotp
from overpush.ids import digest
from overpush.models import RecoveryCode, User
from sqlalchemy import select

from services.runner import Runner
from tests.web.helpers import PASSWORD, Browser, problem_of
from tests.web.helpers import VIEWER as EMAIL

KEY = re.compile(r'<code id="totp-key">([A-Z2-7]+)</code>')
CODES = re.compile(r"<li>([a-z2-9]{5}-[a-z2-9]{5})</li>")


async def turn_on(b: Browser) -> tuple[pyotp.TOTP, list[str]]:
    found = KEY.search((await b.get("/settings/2fa")).text)
    assert found
    totp = pyotp.TOTP(found.group(1))
    r = await b.submit("/settings/2fa", "/settings/2fa", {"code": totp.now()})
    assert r.status_code == 200 and "Your recovery codes" in r.text
    return totp, CODES.findall(r.text)


async def test_a_wrong_setup_code_keeps_the_same_secret(signed_in: Browser) -> None:
    first = KEY.search((await signed_in.get("/settings/2fa")).text)
    assert first
    again = KEY.search((await signed_in.get("/settings/2fa")).text)  # a reload, too
    assert again and again.group(1) == first.group(1)
    r = await signed_in.submit("/settings/2fa", "/settings/2fa", {"code": "000000"})
    assert "That code did not match" in problem_of(r)
    same = KEY.search(r.text)
    assert same and same.group(1) == first.group(1)
    assert 'name="secret"' not in r.text  # the secret stays on the server
    # Only the server's pending secret counts: a secret sent along is ignored.
    other = pyotp.random_base32()
    r = await signed_in.submit("/settings/2fa", "/settings/2fa",
                               {"secret": other, "code": pyotp.TOTP(other).now()})
    assert r.status_code == 400
    r = await signed_in.submit("/settings/2fa", "/settings/2fa",
                               {"code": pyotp.TOTP(first.group(1)).now()})
    assert r.status_code == 200 and "Two-factor authentication is on." in r.text


async def test_recovery_codes_are_shown_once_and_work_once(signed_in: Browser,
                                                           server: Runner) -> None:
    _, codes = await turn_on(signed_in)
    assert len(codes) == 10 and len(set(codes)) == 10
    async with server.rt.sessions() as s:
        uid = await s.scalar(select(User.id).where(User.email == EMAIL))
        stored = set((await s.scalars(select(RecoveryCode.digest)
                                      .where(RecoveryCode.user_id == uid))).all())
    assert stored == {digest(c.replace("-", "")) for c in codes}  # digests, never the codes
    page = (await signed_in.get("/account")).text
    assert "10 of 10 recovery codes left" in page and codes[0] not in page

    await signed_in.submit("/account", "/logout", {})
    assert (await signed_in.log_in(EMAIL, PASSWORD)).headers["location"] == "/login/2fa"
    r = await signed_in.submit("/login/2fa", "/login/2fa", {"code": codes[0].upper()})
    assert r.status_code == 303 and (await signed_in.get("/")).status_code == 200
    assert "9 of 10 recovery codes left" in (await signed_in.get("/account")).text

    await signed_in.submit("/account", "/logout", {})
    await signed_in.log_in(EMAIL, PASSWORD)
    r = await signed_in.submit("/login/2fa", "/login/2fa", {"code": codes[0]})
    assert r.status_code == 400 and "recovery codes" in r.text  # spent
    r = await signed_in.submit("/login/2fa", "/login/2fa", {"code": codes[1].replace("-", " ")})
    assert r.status_code == 303

    # New codes (asked for with a code) replace the old ones. A recovery code here, not the
    # app's: a TOTP code is good for one use per 30-second step.
    r = await signed_in.submit("/account", "/settings/2fa/recovery", {"code": codes[3]})
    fresh = CODES.findall(r.text)
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    await signed_in.submit("/account", "/logout", {})
    await signed_in.log_in(EMAIL, PASSWORD)
    r = await signed_in.submit("/login/2fa", "/login/2fa", {"code": codes[2]})
    assert r.status_code == 400

    # A recovery code also turns 2FA off; the codes go with it.
    await signed_in.submit("/login/2fa", "/login/2fa", {"code": fresh[0]})
    r = await signed_in.submit("/account", "/settings/2fa/disable", {"code": "123456"})
    assert "That code did not match" in problem_of(r)
    r = await signed_in.submit("/account", "/settings/2fa/disable", {"code": fresh[1]})
    assert r.headers["location"] == "/account?notice=twofa_off"
    async with server.rt.sessions() as s:
        user = await s.scalar(select(User).where(User.email == EMAIL))
        assert user is not None and not user.totp_enabled
        assert (await s.scalars(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id))).all() == []
