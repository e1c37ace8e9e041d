"""What a message looks like as a desktop notification: pure decisions, no I/O.

Pushover's HTML subset is `<b> <i> <u> <font color> <a href>` (and `<br>`); the freedesktop
body markup (capability `body-markup`) has `<b> <i> <u> <a href>` and takes newlines as line
breaks. Whatever arrives, encrypted text included (the server never saw it), is cleaned here
with nh3 to that subset; a service without markup gets plain text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import nh3

# Links keep the schemes a person can safely follow: the web, mail, phone and the app schemes
# nh3 knows; never javascript:, data:, vbscript: or file:.
NEVER = frozenset({"javascript", "data", "vbscript", "file", "about", "blob"})
SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]{0,31}):")
BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
HREF_SCHEME = re.compile(r"""href\s*=\s*["']?\s*([A-Za-z][A-Za-z0-9+.-]{0,31}):""", re.IGNORECASE)
MAX_BODY = 4096


@dataclass(frozen=True)
class Notice:
    """One notification to show."""

    key: str  # a re-alert of the same emergency replaces the earlier notification
    title: str
    body: str
    urgency: str  # "low", "normal" or "critical"
    sound: str | None  # a sound name, or None for silence
    url: str | None  # opened on click
    receipt: str | None  # offer "Acknowledge"
    icon: str | None


def safe_link(url: str | None) -> str | None:
    """The URL if a click may open it: it names a scheme, and not one that runs code."""
    if not url:
        return None
    match = SCHEME.match(url.strip())
    if match is None or match.group(1).lower() in NEVER:
        return None
    return url.strip()


def _keep_href(tag: str, attr: str, value: str) -> str | None:
    return value if tag != "a" or attr != "href" or safe_link(value) else None


def markup(text: str) -> str:
    """Pushover HTML as freedesktop body markup."""
    # nh3 takes a fixed list of schemes; Pushover allows any app scheme (twitter://, ...), so
    # the list is this text's own schemes less the dangerous ones (nh3 still parses the HTML
    # and reads entities; a scheme it then finds that is not listed loses its href).
    schemes = {s.lower() for s in HREF_SCHEME.findall(text)} - NEVER
    cleaned: str = nh3.clean(BR.sub("\n", text), tags={"b", "i", "u", "a"},
                             attributes={"a": {"href"}}, attribute_filter=_keep_href,
                             url_schemes=schemes | set(nh3.ALLOWED_URL_SCHEMES), link_rel=None)
    return cleaned


def plain(text: str) -> str:
    """Pushover HTML as plain text: tags dropped, entities read."""
    return html.unescape(nh3.clean(BR.sub("\n", text), tags=set()))


def body_of(message: dict[str, Any], with_markup: bool) -> str:
    text = str(message.get("message") or "")[:MAX_BODY]
    link = safe_link(message.get("url"))
    label = str(message.get("url_title") or link or "")
    if message.get("html"):
        body = markup(text) if with_markup else plain(text)
    else:
        body = html.escape(text, quote=False) if with_markup else text
    if link and with_markup:
        body += f'\n<a href="{html.escape(link)}">{html.escape(label)}</a>'
    elif link:
        body += f"\n{label}" if label == link else f"\n{label}: {link}"
    return body


def notice(message: dict[str, Any], with_markup: bool) -> Notice | None:
    """The notification for a downloaded message, or None when it must not be shown:
    priority -2, and emergencies already acknowledged (by anyone)."""
    priority = int(message.get("priority") or 0)
    receipt = message.get("receipt") if priority >= 2 else None
    if priority <= -2 or (receipt and message.get("acked")):
        return None
    sound = str(message.get("sound") or "") or "pushover"
    if priority >= 2 and not message.get("sound"):
        sound = "persistent"
    return Notice(
        key=f"receipt:{receipt}" if receipt else f"message:{message.get('id')}",
        title=str(message.get("title") or message.get("app") or "Overpush")[:250],
        body=body_of(message, with_markup),
        urgency="critical" if priority >= 2 else "low" if priority < 0 else "normal",
        sound=None if priority < 0 or sound in ("none", "vibrate") else sound,
        url=safe_link(message.get("url")),
        receipt=str(receipt) if receipt else None,
        icon=str(message["icon"]) if str(message.get("icon") or "").isdigit() else None,
    )
