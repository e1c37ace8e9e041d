"""Device identifiers: only a per-account HMAC is stored, and it recognises a re-install."""

from __future__ import annotations

import httpx
from overpush.device_identity import identifier_hash
from overpush.models import Device, User
from sqlalchemy import select

from services.runner import Runner
from testkit.device import DesktopDevice
from tests.factories import make_user, user_with_device

HW = "A1B2C3D4-0000-4000-8000-HARDWARE0001"


async def test_reinstall_is_recognised_by_a_keyed_hash(server: Runner, base_url: str) -> None:
    rt = server.rt
    async with httpx.AsyncClient(timeout=10) as http:
        ann = await user_with_device(rt, base_url, http, name="other")
        bob = await user_with_device(rt, base_url, http, name="other",
                                     account=await make_user(rt))

        async def register(dev: DesktopDevice, name: str) -> httpx.Response:
            return await http.post(f"{base_url}/1/devices.json", data={
                "secret": dev.secret, "name": name, "os": "O",
                "device_identifier": HW})

        first = await register(ann, "laptop")
        assert first.status_code == 200, first.text
        again = await register(ann, "laptop-new")  # the app was re-installed
        assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
        r = await register(bob, "laptop")
        assert r.status_code == 200 and r.json()["id"] != first.json()["id"]
        r = await http.post(f"{base_url}/1/devices.json", data={
            "secret": ann.secret, "name": "laptop-new", "os": "O"})
        assert r.status_code == 400  # without the identifier it is just a taken name

        async with rt.sessions() as session:
            rows = (await session.execute(
                select(Device, User).join(User, User.id == Device.user_id)
                .where(Device.identifier_hash.is_not(None)).order_by(Device.id))).all()
        assert [d.name for d, _ in rows] == ["laptop-new", "laptop"]
        hashes = set()
        for device, user in rows:
            assert user.device_salt is not None
            assert device.identifier_hash == identifier_hash(user.device_salt, HW)
            assert HW not in repr(vars(device)) and HW not in repr(vars(user))
            hashes.add(device.identifier_hash)
        assert len(hashes) == 2  # the same hardware looks unrelated on two accounts
        for d in (ann, bob):
            await d.close()
