"""Pushover's HTML subset for `html=1` (spec §11), enforced by a real sanitiser (nh3/ammonia)."""

from __future__ import annotations

import re

import nh3

TAGS = {"b", "i", "u", "font", "a", "br"}
ATTRIBUTES = {"font": {"color"}, "a": {"href"}}
# A colour name or #rgb/#rrggbb; anything else (CSS tricks like "red;background:url(x)") goes.
COLOR = re.compile(r"^(#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|[a-zA-Z]{1,20})$")


def _attribute(tag: str, attr: str, value: str) -> str | None:
    if tag == "font" and attr == "color" and not COLOR.match(value):
        return None
    return value


def sanitize(text: str) -> str:
    """Keep b, i, u, font color, a href (http/https) and br; drop every other tag, attribute
    and script/style content. The result is what gets stored and shown."""
    return nh3.clean(
        text, tags=TAGS, attributes=ATTRIBUTES, url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow", attribute_filter=_attribute,
    )


def plain(text: str) -> str:
    """The text with every tag removed, for OS notification banners."""
    return nh3.clean(text, tags=set())
