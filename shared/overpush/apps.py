"""Applications by token: the one look-up every sender-facing call and command uses."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from overpush.errors import ApiError, E
from overpush.ids import is_key
from overpush.models import App, User

# An application's token works only once its owner confirmed their address: until then an
# account is anyone's claim on an address, and must not be free quota (issue 14, item 4).
OWNER_CONFIRMED = select(User.id).where(User.id == App.owner_id,
                                        User.email_confirmed_at.is_not(None)).exists()


async def find_app(session: AsyncSession, token: str | None) -> App | None:
    """The application with this token, or None (also when its owner has not confirmed their
    address). Anything but a key cannot be a token, and never reaches the database
    (PostgreSQL refuses NUL in text)."""
    token = (token or "").strip()
    return await session.scalar(
        select(App).where(App.token == token, OWNER_CONFIRMED)) if is_key(token) else None


async def app_for_token(session: AsyncSession, token: str | None) -> App:
    """The sender's application; an unknown token is Pushover's `token: invalid`."""
    app = await find_app(session, token)
    if app is None:
        raise ApiError.of(E.TOKEN_INVALID)
    return app


# Schemes that run code when followed (a browser strips tabs, newlines and leading control
# characters before reading a scheme, so the check does too).
SCRIPT_SCHEMES = ("javascript:", "data:", "vbscript:")
_INVISIBLE = "".join(chr(c) for c in range(0x21))


def runs_code(url: str) -> bool:
    """Whether following this URL would run code: a message `url` may use any scheme
    Pushover allows (tel:, twitter://, any app's), except these."""
    plain = "".join(ch for ch in url if ch not in _INVISIBLE).lower()
    return plain.startswith(SCRIPT_SCHEMES)


def is_web_url(url: str | None) -> bool:
    """An http or https URL with a host: the only kind an application's URL may be, and the
    only kind a page renders as a link."""
    if not url or any(ch in _INVISIBLE for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def app_url(value: str) -> str | None:
    """An application's URL as typed: None when empty, refused unless http or https."""
    url = value.strip()[:512]
    if not url:
        return None
    if not is_web_url(url):
        raise ApiError.of(E.APP_URL_INVALID)
    return url
