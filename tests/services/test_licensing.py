"""Platform licences end to end: trial, grace, expiry, grants, and what clients are told."""

from __future__ import annotations

import httpx
from overpush.clock import FixedClock

from services.admin import licenses as admin_licensing
from services.runner import Runner
from tests.factories import make_app, make_user, user_with_device
from tests.services.licensing_support import send, user_object

DAY = 86400.0


async def test_trial_grace_expiry_and_grant_during_grace(
    enforcing: tuple[Runner, FixedClock], base_url: str
) -> None:
    server, clock = enforcing
    rt = server.rt
    async with httpx.AsyncClient(timeout=10) as http:
        token = await make_app(rt, await make_user(rt))
        ann = await user_with_device(rt, base_url, http)  # trial starts now
        bob = await user_with_device(rt, base_url, http)
        assert (await user_object(ann, http))["is_desktop_licensed"] is False
        assert await send(rt, http, base_url, token, ann.user_key, "trial day 0") == 1

        clock.advance(7 * DAY)  # day 7: the trial is over, the grace day begins
        assert await send(rt, http, base_url, token, ann.user_key, "grace") == 1
        await admin_licensing.grant_license(rt, bob.email, "Desktop")  # bob: during grace

        clock.advance(DAY)  # grace over: ann's desktop gets nothing, bob's still does
        assert await send(rt, http, base_url, token, ann.user_key, "expired") == 0
        assert await send(rt, http, base_url, token, bob.user_key, "licensed") == 1
        assert (await user_object(bob, http))["is_desktop_licensed"] is True
        r = await http.post(f"{base_url}/1/users/validate.json",
                            data={"token": token, "user": ann.user_key})
        assert r.status_code == 200 and r.json()["licenses"] == []
        r = await http.post(f"{base_url}/1/users/validate.json",
                            data={"token": token, "user": bob.user_key})
        assert r.json()["licenses"] == ["Desktop"]

        await admin_licensing.grant_license(rt, ann.email, "desktop")
        assert await send(rt, http, base_url, token, ann.user_key, "now licensed") == 1
        await admin_licensing.revoke_license(rt, ann.email, "Desktop")
        assert await send(rt, http, base_url, token, ann.user_key, "revoked") == 0
        for d in (ann, bob):
            await d.close()


async def test_enforcement_off_by_default_licenses_everyone(server: Runner,
                                                            base_url: str) -> None:
    rt = server.rt
    assert rt.settings.licensing_enforced is False
    async with httpx.AsyncClient(timeout=10) as http:
        dev = await user_with_device(rt, base_url, http)
        user = await user_object(dev, http)
        assert user["is_desktop_licensed"] is True and user["is_ios_licensed"] is True
        await dev.close()
