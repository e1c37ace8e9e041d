"""Which (user, platform) pairs the dispatcher must not queue to: trial and grace are over."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from overpush.licenses import states, team_members, terms_of
from overpush.licensing import may_deliver
from overpush.runtime import Runtime
from sqlalchemy.ext.asyncio import AsyncSession


async def blocked(session: AsyncSession, rt: Runtime, user_ids: Collection[int],
                  now: datetime) -> set[tuple[int, str]]:
    terms = terms_of(rt.settings)
    if not terms.enforced or not user_ids:
        return set()
    found = await states(session, user_ids, now, terms,
                         await team_members(session, user_ids))
    return {pair for pair, state in found.items() if not may_deliver(state, terms)}
