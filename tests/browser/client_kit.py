"""What the /client browser tests share: an account with an application, logging /client in
as a device, sending through the HTTP API, and reading what the service worker showed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from overpush.runtime import Runtime

from tests.factories import PASSWORD, image_bytes, make_app, make_user


@dataclass(frozen=True)
class Sender:
    base_url: str
    email: str
    user_key: str
    token: str

    async def send(self, **fields: Any) -> dict[str, Any]:
        image = fields.pop("image", False)
        files = {"attachment": ("photo.png", image_bytes(size=(320, 200)), "image/png")} \
            if image else None
        data = {"token": self.token, "user": self.user_key,
                **{k: str(v) for k, v in fields.items()}}
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            r = await http.post("/1/messages.json", data=data, files=files)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    async def receipt(self, receipt: str) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            r = await http.get(f"/1/receipts/{receipt}.json", params={"token": self.token})
        body: dict[str, Any] = r.json()
        return body


async def sender(rt: Runtime, base_url: str, app: str = "Nightly backups") -> Sender:
    account = await make_user(rt)
    return Sender(base_url, account.email, account.user_key, await make_app(rt, account, app))


async def open_client(page: Any, who: Sender, device: str = "browser") -> None:
    """Log /client in and register this browser as `device`; returns once it is connected."""
    await page.goto("/client")
    await page.get_by_label("E-mail address").fill(who.email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.get_by_label("Device name").fill(device)
    await page.get_by_role("button", name="Register").click()
    await page.locator("#status", has_text="Connected").wait_for()


async def notifications(page: Any) -> list[dict[str, Any]]:
    """What the service worker's registration shows now (any page of the origin may ask)."""
    found: list[dict[str, Any]] = await page.evaluate("""async () => {
        const reg = await navigator.serviceWorker.getRegistration("/client");
        const list = reg ? await reg.getNotifications() : [];
        return list.map((n) => ({title: n.title, body: n.body, tag: n.tag, icon: n.icon,
            image: n.image, silent: n.silent, renotify: n.renotify,
            requireInteraction: n.requireInteraction, data: n.data,
            actions: n.actions.map((a) => a.title)}));
    }""")
    return found
