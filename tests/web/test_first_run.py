"""The dashboard's first-run path, the test sender chosen by the person, app names unique per
account, and errors in words a person can act on."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from overpush.models import App, User
from sqlalchemy import func, select, update

from services.runner import Runner
from testkit.device import DesktopDevice
from tests.factories import make_user
from tests.web.helpers import PASSWORD, Browser, problem_of, signed_in_as
from tests.web.helpers import VIEWER as EMAIL


async def steps(b: Browser, path: str = "/") -> dict[str, str]:
    page = (await b.get(path)).text
    return dict((key, state) for state, key in re.findall(
        r'<li class="(done|todo)" data-step="(\w+)">', page))


async def app_names(server: Runner) -> list[str]:
    async with server.rt.sessions() as s:
        uid = await s.scalar(select(User.id).where(User.email == EMAIL))
        return sorted((await s.scalars(select(App.name).where(App.owner_id == uid))).all())


async def test_each_step_shows_when_it_is_done(signed_in: Browser, server: Runner,
                                               base_url: str) -> None:
    assert await steps(signed_in) == {"device": "todo", "app": "todo", "test": "todo"}
    # Before any device, the test says what to do: add one, and where.
    r = await signed_in.submit("/", "/test", {"message": "hello there", "priority": "1",
                                              "app": await mail_app(server)})
    said = problem_of(r)
    assert 'value="hello there"' in r.text and '<option value="1" selected>' in r.text
    assert "no active device" in said and "How to add a device" in said
    assert 'href="/#add-device"' in r.text and 'id="add-device"' in r.text
    assert "overpush-desktop login --server " + base_url in r.text
    assert "user has no active devices" not in r.text

    device = DesktopDevice(base_url, EMAIL, PASSWORD, name="laptop")
    async with httpx.AsyncClient() as http:
        await device.login(http)
        await device.register(http)
    assert await steps(signed_in) == {"device": "done", "app": "todo", "test": "todo"}
    r = await signed_in.submit("/", "/apps", {"name": "Backups"})
    app_id = r.headers["location"].rsplit("/", 1)[1]
    assert await steps(signed_in) == {"device": "done", "app": "done", "test": "todo"}
    page = (await signed_in.get("/")).text
    assert f'<option value="{app_id}" selected>Backups</option>' in page  # the sender shown
    r = await signed_in.submit("/", "/test", {"message": "hello", "app": app_id})
    assert r.headers["location"] == "/?notice=test_sent"
    # Complete: shown once more right after the last step, then no longer.
    assert await steps(signed_in, "/?notice=test_sent") == {
        "device": "done", "app": "done", "test": "done"}
    assert await steps(signed_in) == {}
    # The test came from the person's own application: no application appeared.
    assert await app_names(server) == ["Backups", "E-mail"]


async def mail_app(server: Runner) -> str:
    async with server.rt.sessions() as s:
        uid = await s.scalar(select(User.id).where(User.email == EMAIL))
        return str(await s.scalar(select(App.id).where(App.owner_id == uid,
                                                       App.name == "E-mail")))


async def test_a_test_is_sent_only_from_ones_own_application(signed_in: Browser,
                                                             server: Runner) -> None:
    other = await make_user(server.rt)
    async with server.rt.sessions() as s, s.begin():
        uid = await s.scalar(select(User.id).where(User.user_key == other.user_key))
        theirs = App(token="t" * 30, name="Theirs", owner_id=uid,
                     created_at=server.rt.clock.now())
        s.add(theirs)
        await s.flush()
        their_id = theirs.id
    for app in (str(their_id), "", "not a number"):
        r = await signed_in.submit("/", "/test", {"message": "hello", "app": app})
        assert "Pick the application to send from" in problem_of(r)
    assert await app_names(server) == ["E-mail"]


async def test_application_names_are_unique_per_account(signed_in: Browser,
                                                        server: Runner) -> None:
    assert (await signed_in.submit("/", "/apps", {"name": "Backups"})).status_code == 303
    r = await signed_in.submit("/", "/apps", {"name": " BACKUPS ", "description": "again"})
    assert "You already have an application named “BACKUPS”" in problem_of(r)
    assert 'value="again"' in r.text  # what the person typed is kept
    assert await app_names(server) == ["Backups", "E-mail"]
    # Another account may use the same name; a clone into this account gets a free one.
    async with signed_in_as(str(signed_in.http.base_url), Path(server.rt.settings.mail_dir),
                            "gil@example.com", PASSWORD) as other:
        assert (await other.submit("/", "/apps", {"name": "Backups"})).status_code == 303
        async with server.rt.sessions() as s, s.begin():
            gil = select(User.id).where(User.email == "gil@example.com").scalar_subquery()
            await s.execute(update(App).where(App.name == "Backups", App.owner_id == gil)
                            .values(clone_code="cl"))
    r = await signed_in.submit("/apps/clone/cl", "/apps/clone/cl", {})
    assert r.status_code == 200 and "Your Backups (2) application" in r.text
    assert await app_names(server) == ["Backups", "Backups (2)", "E-mail"]


async def test_icon_problems_are_explained(signed_in: Browser, server: Runner) -> None:
    r = await signed_in.submit("/", "/apps", {"name": "Pictures"},
                               files={"icon": ("icon.png", b"not a picture", "image/png")})
    said = problem_of(r)
    assert "not a picture we can read" in said and "PNG, JPEG, GIF" in said
    assert "Error" not in r.text.split('role="alert"')[1].split("</div>")[0]
    assert 'value="Pictures"' in r.text
    async with server.rt.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(App)
                              .where(App.name == "Pictures")) == 0
