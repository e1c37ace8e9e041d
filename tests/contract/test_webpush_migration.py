"""Migration 0140 on a database the first round filled: a desktop's leftover push_token (it
meant nothing before) is cleared, since it would now be taken for a Web Push subscription;
phone tokens stay; the VAPID key table starts empty (the key is made on first start)."""

from __future__ import annotations

from datetime import UTC, datetime

from overpush.db import make_engine, migrate
from overpush.models import Device, VapidKey
from sqlalchemy import func, select, text

from tests.contract.first_round import FIRST_ROUND_HEAD, fill_first_round, migrate_to


async def test_desktop_tokens_cleared_phone_tokens_kept(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        await migrate_to(engine, FIRST_ROUND_HEAD)
        await fill_first_round(engine, datetime.now(UTC))
        async with engine.begin() as conn:  # a first-round desktop client could send one
            await conn.execute(text("UPDATE devices SET push_token = 'legacy' WHERE os = 'O'"))
            phones_before = dict((await conn.execute(text(
                "SELECT name, push_token FROM devices WHERE os <> 'O'"))).all())
        await migrate(engine)
        async with engine.connect() as conn:
            desktops = (await conn.execute(
                select(Device.push_token).where(Device.os == "O"))).scalars().all()
            phones = dict((await conn.execute(
                select(Device.name, Device.push_token).where(Device.os != "O"))).all())
            keys = await conn.scalar(select(func.count()).select_from(VapidKey))
        assert desktops and set(desktops) == {None}
        assert phones == phones_before and all(phones.values())
        assert keys == 0
    finally:
        await engine.dispose()
