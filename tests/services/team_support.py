"""What the team invitation tests share: answering an invitation from its mailed link."""

from __future__ import annotations

import httpx

from tests.web.helpers import Browser


async def answer(base_url: str, link: str, action: str,
                 password: str | None = None) -> httpx.Response:
    """Open the mailed link in a fresh browser and press Accept or Decline."""
    b = Browser(base_url)
    try:
        path = link.removeprefix(base_url)
        data = {} if password is None else {"password": password}
        return await b.submit(path, f"{path}/{action}", data)
    finally:
        await b.close()
