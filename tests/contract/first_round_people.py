"""The first round's people and what they set up (part of first_round.py's fill): users (two
addresses that differ only by case, unconfirmed ones), devices, sessions and one-time tokens,
applications (one with a javascript: URL), a team, e-mail aliases, licences, subscriptions
and quota."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from typing import Any

from overpush.quota import period_of

from tests.contract.first_round_rows import Writer, key, png, sha256


@dataclass(frozen=True)
class People:
    """The row ids the traffic written next refers to."""

    ann: int
    bob: int
    bob_lower: int
    carol: int
    laptop: int
    iphone: int
    pixel: int
    backups: int
    team_app: int


def write_people(w: Writer, hashed: str) -> People:
    """`hashed`: every user's password hash (of first_round.PASSWORD)."""
    now, out, ago, later = w.now, w.out, w.ago, w.later

    def user(email: str, confirmed: bool = True, **extra: Any) -> int:
        out.users[email] = user_key = key()
        values: dict[str, Any] = dict(
            user_key=user_key, email=email, password_hash=hashed, created_at=ago(days=40),
            totp_enabled=False, email_confirmed_at=ago(days=40) if confirmed else None,
            timezone="UTC", default_sound="pushover")
        return w.add("users", **{**values, **extra})

    out.ann_totp = key(32, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    ann = user("ann@example.com", totp_secret=out.ann_totp, totp_enabled=True,
               quiet_start="22:00", quiet_end="07:00", timezone="Europe/Berlin",
               default_sound="bike", device_salt=secrets.token_hex(32))
    bob = user("Bob@example.com")  # two accounts whose addresses differ only by case
    bob_lower = user("bob@example.com", confirmed=False)
    carol = user("carol@example.com", phone_number="+15550001111")
    user("dave@example.com", confirmed=False)  # signed up, never confirmed, nothing else

    # Devices: desktop, iOS, Android (encrypted), and a phone the vendor said was gone.
    out.laptop = key(40, string.ascii_lowercase + string.digits)
    laptop = w.add("devices", public_id=out.laptop, user_id=ann, name="laptop", os="O",
                   enabled=True, created_at=ago(days=30), last_seen_at=ago(minutes=5),
                   always_use_default_sound=False)
    out.phones = ["iphone", "pixel"]
    iphone = w.add("devices", public_id=key(40, string.ascii_lowercase + string.digits),
                   user_id=ann, name="iphone", os="I", enabled=True, created_at=ago(days=20),
                   push_token=secrets.token_hex(32), always_use_default_sound=True,
                   identifier_hash=secrets.token_hex(32))
    pixel = w.add("devices", public_id=key(40, string.ascii_lowercase + string.digits),
                  user_id=ann, name="pixel", os="A", enabled=True, created_at=ago(days=10),
                  push_token="fcm:" + key(140), always_use_default_sound=False,
                  encryption_key=secrets.token_urlsafe(32))
    w.add("devices", public_id=key(40, string.ascii_lowercase + string.digits), user_id=bob,
          name="oldphone", os="A", enabled=False, created_at=ago(days=35),
          push_token="fcm:" + key(140), always_use_default_sound=False,
          disabled_at=ago(days=2), disabled_reason="UNREGISTERED",
          disabled_notified_at=ago(days=2))
    w.add("devices", public_id=key(40, string.ascii_lowercase + string.digits), user_id=bob,
          name="desk", os="O", enabled=True, created_at=ago(days=35),
          always_use_default_sound=False)

    # Sessions: Open Client, browser (one waiting for its 2FA code), tokens, log-in limits.
    out.ann_secret = key(60)
    w.add("client_sessions", user_id=ann, secret_digest=sha256(out.ann_secret),
          created_at=ago(days=30))
    w.add("client_sessions", user_id=bob, secret_digest=sha256(key(60)), created_at=ago(days=9))
    out.web_session = secrets.token_urlsafe(32)
    w.add("web_sessions", digest=sha256(out.web_session), user_id=ann, pending_2fa=False,
          created_at=ago(hours=1), expires_at=later(days=29))
    w.add("web_sessions", digest=sha256(secrets.token_urlsafe(32)), user_id=bob,
          pending_2fa=True, created_at=ago(minutes=3), expires_at=later(days=30))
    w.add("account_tokens", digest=sha256(secrets.token_urlsafe(32)), user_id=bob_lower,
          purpose="confirm", expires_at=later(days=1))
    w.add("account_tokens", digest=sha256(secrets.token_urlsafe(32)), user_id=bob,
          purpose="reset", expires_at=ago(days=1), used_at=ago(days=2))
    w.add("login_attempts", key="email:bob@example.com", window_start=ago(minutes=10),
          failures=2)

    # Applications: an http URL with an icon, a sound and a subscription code; a javascript:
    # URL; the team's application; Ann's e-mail gateway application.
    out.backups = key()
    backups = w.add("apps", token=out.backups, name="Backups", owner_id=ann,
                    created_at=ago(days=30), description="nightly database backups",
                    url="http://backups.example.com/status", subscription_code=key(20),
                    clone_code=key(20))
    out.javascript_app = key()
    w.add("apps", token=out.javascript_app, name="Bookmarklet", owner_id=bob,
          created_at=ago(days=25), url="javascript:alert(document.cookie)", monthly_limit=100)
    w.add("app_icons", app_id=backups, png=png(), updated_at=ago(days=30))
    w.add("custom_sounds", app_id=backups, name="doorbell", description="Door bell",
          extension="mp3", data=b"ID3\x04\x00" + b"\x00" * 64, created_at=ago(days=29))
    out.team_token = key()
    team = w.add("teams", name="Ops", token_digest=sha256(out.team_token), admin_id=carol,
                 sms_after_seconds=300, created_at=ago(days=15))
    team_app = w.add("apps", token=key(), name="Ops pager", owner_id=carol,
                     created_at=ago(days=15), team_id=team)
    w.add("team_members", user_id=carol, team_id=team, administrator=True,
          created_at=ago(days=15))
    w.add("team_members", user_id=bob, team_id=team, administrator=False,
          created_at=ago(days=14))
    mail_app = w.add("apps", token=key(), name="E-mail", owner_id=ann, created_at=ago(days=40))
    w.add("mail_accounts", user_id=ann, app_id=mail_app, created_at=ago(days=40))
    out.alias = key(12, string.ascii_lowercase + string.digits)
    w.add("mail_aliases", user_id=ann, name=out.alias, is_default=True, priority=0,
          ignore_timestamps=False, created_at=ago(days=40))
    w.add("mail_aliases", user_id=ann, name="backups", is_default=False, sound="bike",
          priority=1, device="laptop", ignore_timestamps=True, created_at=ago(days=20))

    # Licences, subscriptions, quota.
    w.add("platform_licenses", user_id=ann, platform="O", trial_started_at=ago(days=30),
          licensed_at=ago(days=25))
    w.add("platform_licenses", user_id=ann, platform="I", trial_started_at=ago(days=3))
    w.add("license_credits", app_id=backups, credits=4)
    w.add("pending_licenses", email="erin@example.com", platform="A", app_id=backups,
          created_at=ago(days=1))
    w.add("pending_licenses", user_id=bob_lower, platform=None, app_id=backups,
          created_at=ago(days=1))
    out.subscription = key()
    w.add("subscriptions", subscription_key=out.subscription, app_id=backups, user_id=bob,
          sound="pushover", device=None, created_at=ago(days=5))
    out.used = 42
    w.add("app_usage", app_id=backups, period=period_of(now).key, used=out.used, last_take=1)
    w.add("app_usage", app_id=backups, period=period_of(ago(days=40)).key, used=7500,
          last_take=3)
    w.add("daily_usage", app_id=backups, day=now.date(), messages=out.used)
    w.add("app_capacity", app_id=backups, remaining=1000, purchased=1000)
    return People(ann=ann, bob=bob, bob_lower=bob_lower, carol=carol, laptop=laptop,
                  iphone=iphone, pixel=pixel, backups=backups, team_app=team_app)
